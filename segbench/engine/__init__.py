"""Training, evaluation and the run that ties them to a folder on disk."""
