// All kernels, one wasm module. Every pointer argument is a byte offset into the shared memory;
// every tensor is float32, NCHW, contiguous. Kernels trust their callers (src/ops checks shapes).
export * from './gemm';
export * from './gemm_nt';
export * from './conv';
export * from './conv1x1';
export * from './conv_winograd';
export * from './elementwise';
export * from './norm';
export * from './augment';
export * from './pool';
export * from './pool_bwd';
export * from './pool_kxk';
export * from './linear';
