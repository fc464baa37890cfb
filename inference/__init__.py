"""parley.inference: EventExtractor, decoding and news-dump IO."""
