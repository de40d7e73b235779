// The drawing pad: a canvas you draw one digit on with a mouse, pen or finger (pointer events),
// black ink on white paper. It reports changes and hands out its pixels as grey levels; it does not
// preprocess or classify (toMnistDigit and the engine worker do).

export type PadListener = (strokeEnded: boolean) => void;

const INK = '#111';
const PAPER = '#fff';

export class DrawingPad {
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  private inked = false;

  /** lineWidth is in canvas pixels: ~1/12 of the side, like a pen stroke on an MNIST digit. */
  constructor(private readonly canvas: HTMLCanvasElement, private readonly onChange: PadListener, private readonly lineWidth = canvas.width / 12) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('this browser has no 2D canvas');
    this.ctx = ctx;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  get empty(): boolean {
    return !this.inked;
  }

  clear(): void {
    const { ctx, canvas } = this;
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    this.inked = false;
    this.last = null;
  }

  /** (height,width) grey levels in [0,1] (1 = white paper). */
  grey(): { grey: Float32Array; width: number; height: number } {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const grey = new Float32Array(width * height);
    for (let i = 0; i < grey.length; i++) grey[i] = (rgba[4 * i]! + rgba[4 * i + 1]! + rgba[4 * i + 2]!) / (3 * 255);
    return { grey, width, height };
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.drawing = true;
    this.last = this.point(e);
    this.stroke([this.last]);
  }

  private move(e: PointerEvent): void {
    if (!this.drawing) return;
    e.preventDefault();
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    this.stroke((events.length > 0 ? events : [e]).map((ev) => this.point(ev)));
  }

  private up(e: PointerEvent): void {
    if (!this.drawing) return;
    this.drawing = false;
    this.last = null;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.onChange(true);
  }

  /** Draws round-capped segments from the last point through `points`. */
  private stroke(points: Array<{ x: number; y: number }>): void {
    const { ctx } = this;
    ctx.strokeStyle = INK;
    ctx.lineWidth = this.lineWidth;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    const from = this.last ?? points[0]!;
    ctx.moveTo(from.x, from.y);
    for (const p of points) ctx.lineTo(p.x, p.y);
    if (points.length === 1 && from === points[0]) ctx.lineTo(from.x + 0.01, from.y); // a dot
    ctx.stroke();
    this.last = points[points.length - 1]!;
    this.inked = true;
    this.onChange(false);
  }
}
