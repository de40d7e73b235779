// 1×1 convolution, stride 1, no padding, as plain GEMMs on each image: an image (C, H, W) already
// is the (C, P) matrix that im2col would build (P = H·W), so there is no padded copy and no col
// matrix. Images [n0, n1) only, so pool threads split a batch by image; the scratch (O·C floats)
// holds the weights packed for gemmPacked (gemm.ts), once per call.
//   forward:       y_n (O, P)  = W (O, C) · x_n (C, P) (+ b)
//   backward data: dx_n (C, P) = W (O, C)ᵀ · dy_n (O, P)     (W read transposed through strides)
//   backward wt:   dW (O, C)  += dy_n (O, P) · x_n (C, P)ᵀ   (dot products along the pixels)
// The naive reference is convRefFwd/convRefBwdData/convRefBwdWeight with KH = KW = 1, pad 0.
import { biasGrad, copyBias } from './conv_util';

/** y (N,O,H,W) = w (O,C) · x (N,C,H,W) + b (O) (b == 0: no bias), images [n0, n1). */
export function conv1x1_fwd(x: usize, w: usize, b: usize, y: usize, n0: i32, n1: i32, C: i32, P: i32, O: i32, scratch: usize): void {
  packA(O, C, w, <usize>C * 4, 4, scratch);
  for (let n = n0; n < n1; n++) {
    const yn = y + <usize>(n * O * P) * 4;
    gemmPacked(O, P, C, scratch, x + <usize>(n * C * P) * 4, P, yn, P, 0);
    // The bias in place while the rows are still in cache (as conv2d_fwd does).
    if (b) for (let o = 0; o < O; o++) copyBias(yn + <usize>(o * P) * 4, yn + <usize>(o * P) * 4, P, load<f32>(b + (<usize>o << 2)));
  }
}

/** dx (N,C,H,W) = wᵀ · dy (N,O,H,W), images [n0, n1), overwritten. */
export function conv1x1_bwd_data(dy: usize, w: usize, dx: usize, n0: i32, n1: i32, C: i32, P: i32, O: i32, scratch: usize): void {
  packA(C, O, w, 4, <usize>C * 4, scratch); // wᵀ (C, O)
  for (let n = n0; n < n1; n++) {
    gemmPacked(C, P, O, scratch, dy + <usize>(n * O * P) * 4, P, dx + <usize>(n * C * P) * 4, P, 0);
  }
}

/**
 * dw (O,C) += Σ_n dy_n · x_nᵀ and db (O) += Σ dy over images [n0, n1) and pixels (db == 0:
 * skipped). Accumulates, so each thread owns its dw/db and the caller sums them (as conv2d_bwd_weight).
 */
export function conv1x1_bwd_weight(dy: usize, x: usize, dw: usize, db: usize, n0: i32, n1: i32, C: i32, P: i32, O: i32): void {
  for (let n = n0; n < n1; n++) {
    gemmNTStrided(O, C, P, dy + <usize>(n * O * P) * 4, P, x + <usize>(n * C * P) * 4, P, dw, C, 1);
  }
  if (db) biasGrad(dy, db, n0, n1, O, P);
}
