"""gn.data: Datasets and iterators."""
