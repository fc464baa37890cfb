"""parley.training: labeled articles to a tokenised dataset, and the training loop that fine-tunes the model."""
