"""Office outputs: charts (matplotlib) for summaries."""
