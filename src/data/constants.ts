// MNIST normalisation, defined once for the CLI, the web page, the tests and the benchmark.
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;
export const IMAGE_SIZE = 28;
export const NUM_CLASSES = 10;
