"""`make bench`: the performance figures, each with its anchor measured in the same run."""
