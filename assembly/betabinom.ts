// FRASER beta-binomial autoencoder kernels: see src/models/fraser.
