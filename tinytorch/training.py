"""tinytorch.training: the course's training helpers (module 08). Not PyTorch names: PyTorch leaves the loop to you."""
from tinytorch.core.training import (ProgressBar, Trainer, evaluate, load_checkpoint, plot_history, save_checkpoint,
                                     train_epoch)

__all__ = ["Trainer", "train_epoch", "evaluate", "ProgressBar", "plot_history", "save_checkpoint", "load_checkpoint"]
