"""A PyTorch training script, written for torch. tests/test_pytorch_script.py runs it as it is and with its
import lines pointed at tinytorch; nothing below the imports changes."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
rng = np.random.default_rng(0)

# Three overlapping Gaussian blobs in 2-D: 500 points to train on, 100 to test.
centers = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]], dtype=np.float32)
labels = rng.integers(0, 3, size=600).astype(np.int64)
points = (centers[labels] + 0.8 * rng.standard_normal((600, 2))).astype(np.float32)
train_set = TensorDataset(torch.from_numpy(points[:500]), torch.from_numpy(labels[:500]))
test_x, test_y = torch.tensor(points[500:]), torch.tensor(labels[500:])


class MLP(nn.Module):
    def __init__(self, sizes, dropout=0.1):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.dropout(F.relu(layer(x)))
        return self.layers[-1](x)


model = MLP([2, 32, 32, 3])
loader = DataLoader(train_set, batch_size=50, shuffle=True)
optimizer = optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
epochs = 15
warmup = LinearLR(optimizer, start_factor=0.1, total_iters=len(loader))
cosine = CosineAnnealingLR(optimizer, T_max=(epochs - 1) * len(loader))
scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[len(loader)])
loss_fn = nn.CrossEntropyLoss()

lr_per_epoch = []
for epoch in range(epochs):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()
    lr_per_epoch.append(f"{optimizer.param_groups[0]['lr']:.6f}")

model.eval()
with torch.no_grad():
    logits = model(test_x)
    accuracy = (logits.argmax(dim=1) == test_y).float().mean().item()
    test_loss = F.cross_entropy(logits, test_y).item()

copy = MLP([2, 32, 32, 3])
copy.load_state_dict(model.state_dict())
copy.eval()
with torch.no_grad():
    same_predictions = bool((copy(test_x).argmax(dim=1) == logits.argmax(dim=1)).all())

print(f"RESULT accuracy={accuracy:.4f} loss={test_loss:.6f} lr_per_epoch={','.join(lr_per_epoch)} "
      f"same_after_load={same_predictions} parameters={sum(p.numel() for p in model.parameters())}")
