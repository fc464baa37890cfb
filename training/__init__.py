"""parley.training: readers, writers, dataset builder, metrics and the training loop."""
