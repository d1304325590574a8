"""NF-ISCSC optimiser (NF paper, arXiv 2507.15800, Sec. IV)."""
