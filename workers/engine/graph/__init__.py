"""Graph processing: expressions, blocks, shape inference, the compiler and diffs."""
