"""r1lib: the DeepSeek-R1 recipe (arXiv 2501.12948) as a small library driven by notebooks."""
