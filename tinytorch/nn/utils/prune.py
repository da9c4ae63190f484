"""tinytorch.nn.utils.prune, as torch.nn.utils.prune: masks kept as <name>_orig * <name>_mask (module 16)."""
from tinytorch.core.compression import (BasePruningMethod, CustomFromMask, L1Unstructured, LnStructured,
                                        PruningContainer, RandomUnstructured, custom_from_mask,
                                        global_unstructured, is_pruned, l1_unstructured, ln_structured,
                                        random_unstructured, remove)

__all__ = ["BasePruningMethod", "PruningContainer", "L1Unstructured", "RandomUnstructured", "LnStructured",
           "CustomFromMask", "l1_unstructured", "random_unstructured", "ln_structured", "global_unstructured",
           "custom_from_mask", "remove", "is_pruned"]
