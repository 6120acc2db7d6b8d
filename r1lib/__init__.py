"""r1lib: the DeepSeek-R1 recipe (arXiv 2501.12948) as a small library driven by notebooks."""

import warnings

from tqdm import TqdmWarning

# tqdm.auto (imported by datasets and transformers) warns in every notebook kernel without
# ipywidgets; r1lib draws its own text bars (r1lib.core.progress), so there is nothing to act on
warnings.filterwarnings("ignore", message="IProgress not found", category=TqdmWarning)
