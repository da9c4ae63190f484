"""A character-level GPT trained on TinyTalks, shipped in the package for the 2017 Transformer milestone.

The checkpoint (tinytalks_gpt.npz, float16 weights, no pickle) lives next to this module so that a wheel
carries it into the browser, where training it would take far longer than a lesson should. It is written by
datasets/tinytalks/train_gpt_checkpoint.py (seeded; the full command and its log are in that script's
docstring and in content/milestones/2017_transformer.py).
"""

import io

import numpy as np

from tinytorch.datasets.files import read_dataset_file

DATA_FILENAME = "tinytalks_gpt.npz"
# Checksum of the shipped checkpoint; a mismatch means a stale or damaged copy.
TINYTALKS_GPT_SHA256 = "1c8f2880c27bd2e2b8209e41609b1d4223b45c726d99ed987f09f2006db70f22"
CONFIG_FIELDS = ("vocab_size", "block_size", "n_layer", "n_head", "n_embd")


def load_tinytalks_gpt(path=None):
    """The trained GPT (in eval mode) and its CharTokenizer, as ``(model, tokenizer)``.

    path: optional location of a checkpoint written by train_gpt_checkpoint.py. The bundled copy must match
    its recorded sha256; a file given by path is loaded as it is (a checkpoint you trained yourself).
    """
    from tinytorch.core.tokenization import CharTokenizer
    from tinytorch.core.transformers import GPT

    raw, source = read_dataset_file(DATA_FILENAME, path, "TinyTalks GPT checkpoint", TINYTALKS_GPT_SHA256,
                                    "python datasets/tinytalks/train_gpt_checkpoint.py", "load_tinytalks_gpt",
                                    check_path=False)  # a checkpoint you trained yourself has its own sha256
    # Read from the bytes already in memory, so what was checked is what is loaded.
    with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
        config = dict(zip(CONFIG_FIELDS, (int(v) for v in arrays["config"])))
        itos = [str(c) for c in arrays["itos"]]
        state = {name[len("param."):]: arrays[name].astype(np.float32) for name in arrays.files
                 if name.startswith("param.")}
    if len(itos) != config["vocab_size"]:
        raise ValueError(f"TinyTalks GPT checkpoint {source}: {len(itos)} characters in `itos` but "
                         f"vocab_size {config['vocab_size']} in `config`")
    model = GPT(**config)
    model.load_state_dict(state)
    model.eval()
    return model, CharTokenizer(itos)
