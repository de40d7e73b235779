// The training panel's architecture choice: a zoo entry from the select, or a spec file the user
// loads (the same JSON as `tiny-mnist train --arch FILE`). The engine worker checks the spec and
// returns its layer table, so a bad file is refused with the layer and the problem before training.
import { ZOO } from '../src/models/index.js';
import type { EngineClient } from './client.js';
import type { ModelInfo } from './protocol.js';
import { byId, el } from './views.js';

export class ArchChoice {
  private readonly select = byId<HTMLSelectElement>('train-arch');
  private readonly file = byId<HTMLInputElement>('train-arch-file');
  private readonly title = byId('arch-title');
  private readonly table = byId('arch-summary');
  private loaded: { name: string; spec: unknown } | null = null;

  constructor(private readonly engine: EngineClient, private readonly onError: (msg: string) => void,
    /** Called with each architecture shown (e.g. to default the batch size to its recipe's). */
    private readonly onShown: (info: ModelInfo) => void = () => undefined) {
    this.select.replaceChildren(...Object.entries(ZOO).map(([name, z]) => {
      const o = el('option', '', name);
      o.title = z.description;
      o.value = name;
      return o;
    }));
    this.select.addEventListener('change', () => void this.show());
    this.file.addEventListener('change', () => void this.loadFile());
    void this.show();
  }

  /** The spec to train: the loaded file's when "file" is chosen, else the zoo entry's. */
  spec(): unknown {
    return this.select.value === 'file' && this.loaded ? this.loaded.spec : ZOO[this.select.value]?.spec;
  }

  private async loadFile(): Promise<void> {
    const f = this.file.files?.[0];
    if (!f) return;
    try {
      const spec = JSON.parse(await f.text()) as unknown;
      await this.engine.call('describe', { spec, source: f.name }); // refuses a bad spec
      this.loaded = { name: f.name, spec };
      let option = this.select.querySelector<HTMLOptionElement>('option[value="file"]');
      if (!option) this.select.append((option = el('option')));
      option.value = 'file';
      option.textContent = `from ${f.name}`;
      this.select.value = 'file';
      await this.show();
    } catch (err) {
      this.onError(`${f.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async show(): Promise<void> {
    try {
      const m = await this.engine.call('describe', { spec: this.spec(), source: this.select.value });
      this.title.textContent = `Architecture: ${m.arch}, ${m.params.toLocaleString('en-US')} parameters`;
      this.table.textContent = m.summary;
      this.onShown(m);
    } catch (err) {
      this.onError(err instanceof Error ? err.message : String(err));
    }
  }
}
