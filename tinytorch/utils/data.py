"""tinytorch.utils.data, as torch.utils.data: datasets, batching and collation (module 05)."""
from tinytorch.core.dataloader import DataLoader, Dataset, TensorDataset, default_collate

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]
