"""Build tinytorch/datasets/tinytalks.npz: the TinyTalks question-and-answer corpus.

TinyTalks was written for the TinyTorch course (CC BY 4.0). Its pairs come from two sources in this folder,
both written for the course:

1. handwritten.txt: pairs written one by one (the course's topics, small talk, kindness, reasoning, facts);
2. the templates below: one sentence pattern filled from short word lists written here (colours, opposites,
   spelling, small sums, ...), so a tiny character-level model meets the same pattern many times.

Every pair is one "Q: ...\\nA: ..." string. Questions are unique. The split is fixed without any random
number generator: each pair's key is sha256(SPLIT_SALT + pair); the VALIDATION_FRACTION of pairs with the
smallest keys form the validation split. Both splits keep the order of the source. The output is an .npz
of two arrays of unicode strings (no pickle) whose bytes are identical on every run:

    python datasets/tinytalks/make_tinytalks.py            # writes the file, prints counts and sha256
    python datasets/tinytalks/make_tinytalks.py --check    # builds in memory, compares with the shipped file

Only the standard library and numpy are needed.
"""
import hashlib
import sys
from pathlib import Path

import numpy as np

from tinytorch.datasets.files import reproducible_npz_bytes

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
OUTPUT = REPO_ROOT / "tinytorch" / "datasets" / "tinytalks.npz"
HANDWRITTEN = HERE / "handwritten.txt"
SPLIT_SALT = "tinytalks-split-v1:"
VALIDATION_FRACTION = 0.1

# ---------------------------------------------------------------- word lists (written for TinyTalks)
COLOURS = [("the sky", "blue"), ("grass", "green"), ("snow", "white"), ("a banana", "yellow"),
           ("a strawberry", "red"), ("a carrot", "orange"), ("coal", "black"), ("a lemon", "yellow"),
           ("a tomato", "red"), ("the sun", "yellow"), ("milk", "white"), ("a leaf", "green"),
           ("an orange", "orange"), ("chocolate", "brown"), ("a plum", "purple"), ("a crow", "black"),
           ("a frog", "green"), ("the sea", "blue"), ("a cloud", "white"), ("a fire truck", "red"),
           ("a pumpkin", "orange"), ("a lime", "green"), ("an eggplant", "purple"), ("a polar bear", "white"),
           ("a tree trunk", "brown"), ("a cherry", "red"), ("a pea", "green"), ("night", "dark"),
           ("a flamingo", "pink"), ("ash", "gray")]
SOUNDS = [("a dog", "woof"), ("a cat", "meow"), ("a cow", "moo"), ("a duck", "quack"), ("a sheep", "baa"),
          ("a lion", "roar"), ("a pig", "oink"), ("a horse", "neigh"), ("a bird", "tweet"), ("an owl", "hoot"),
          ("a frog", "ribbit"), ("a mouse", "squeak"), ("a snake", "hiss"), ("a bee", "buzz"),
          ("a rooster", "cock a doodle doo")]
LEGS = [("a dog", "four"), ("a cat", "four"), ("a bird", "two"), ("a spider", "eight"), ("an ant", "six"),
        ("a horse", "four"), ("a chicken", "two"), ("a fish", "no"), ("a snake", "no"), ("a beetle", "six"),
        ("a cow", "four"), ("a duck", "two"), ("a crab", "ten"), ("an octopus", "eight arms and no"),
        ("a person", "two")]
HOMES = [("a fish", "in water"), ("a bird", "in a nest"), ("a bee", "in a hive"), ("a rabbit", "in a burrow"),
         ("a bear", "in a den"), ("a cow", "on a farm"), ("a camel", "in the desert"), ("a penguin", "on the ice"),
         ("a monkey", "in the trees"), ("a whale", "in the ocean"), ("a frog", "near a pond"),
         ("a spider", "in a web"), ("an ant", "in an ant hill"), ("a horse", "in a stable"),
         ("a dog", "in a kennel"), ("a pig", "in a sty"), ("a fox", "in a den"), ("an owl", "in a tree"),
         ("a crab", "on the beach"), ("a lion", "on the grassland")]
BABIES = [("dog", "a puppy"), ("cat", "a kitten"), ("cow", "a calf"), ("sheep", "a lamb"), ("horse", "a foal"),
          ("duck", "a duckling"), ("frog", "a tadpole"), ("bear", "a cub"), ("goat", "a kid"), ("pig", "a piglet"),
          ("hen", "a chick"), ("kangaroo", "a joey")]
OPPOSITES = [("hot", "cold"), ("big", "small"), ("up", "down"), ("fast", "slow"), ("day", "night"),
             ("happy", "sad"), ("open", "closed"), ("full", "empty"), ("light", "dark"), ("old", "new"),
             ("left", "right"), ("wet", "dry"), ("early", "late"), ("hard", "soft"), ("loud", "quiet"),
             ("tall", "short"), ("in", "out"), ("first", "last"), ("give", "take"), ("push", "pull"),
             ("near", "far"), ("thick", "thin"), ("rich", "poor"), ("win", "lose"), ("clean", "dirty"),
             ("strong", "weak"), ("true", "false"), ("start", "stop"), ("above", "below"), ("sweet", "sour"),
             ("buy", "sell"), ("inside", "outside"), ("heavy", "light weight"), ("yes", "no"),
             ("before", "after")]
PLURALS = [("cat", "cats"), ("dog", "dogs"), ("book", "books"), ("tree", "trees"), ("car", "cars"),
           ("box", "boxes"), ("bus", "buses"), ("dish", "dishes"), ("baby", "babies"), ("city", "cities"),
           ("leaf", "leaves"), ("knife", "knives"), ("child", "children"), ("mouse", "mice"), ("foot", "feet"),
           ("tooth", "teeth"), ("man", "men"), ("woman", "women"), ("sheep", "sheep"), ("fish", "fish"),
           ("person", "people"), ("goose", "geese"), ("tensor", "tensors"), ("matrix", "matrices"),
           ("axis", "axes"), ("batch", "batches"), ("token", "tokens"), ("layer", "layers"),
           ("apple", "apples"), ("house", "houses")]
SPELLING = ["cat", "dog", "sun", "moon", "tree", "book", "fish", "bird", "milk", "rain", "snow", "star",
            "blue", "red", "green", "happy", "apple", "water", "house", "chair", "table", "bread", "music",
            "light", "night", "train", "plant", "smile", "friend", "school", "tensor", "token", "layer",
            "model", "graph", "batch", "loss", "data", "learn", "seven"]
USES = [("a spoon", "to eat soup"), ("a pen", "to write"), ("a key", "to open a lock"),
        ("a broom", "to sweep the floor"), ("a cup", "to drink"), ("scissors", "to cut paper"),
        ("a ladder", "to reach high places"), ("a towel", "to dry yourself"), ("soap", "to wash your hands"),
        ("a map", "to find the way"), ("a clock", "to tell the time"), ("a bed", "to sleep"),
        ("a coat", "to stay warm"), ("an umbrella", "to stay dry in the rain"), ("a hammer", "to hit nails"),
        ("a toothbrush", "to clean your teeth"), ("a fridge", "to keep food cold"), ("a lamp", "to see at night"),
        ("a bag", "to carry things"), ("a ruler", "to measure length"), ("a phone", "to call people"),
        ("a bike", "to ride around"), ("a pillow", "to rest your head"), ("a plate", "to hold food"),
        ("a comb", "to tidy your hair")]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
# Which-is-bigger pairs: fixed by hand so both orders and close numbers appear.
COMPARE = [(3, 8), (12, 7), (5, 6), (20, 2), (14, 41), (9, 1), (33, 30), (15, 51), (100, 10), (27, 72),
           (8, 9), (60, 16), (44, 45), (1, 0), (99, 98), (11, 21), (6, 4), (17, 71), (50, 5), (23, 32),
           (13, 31), (70, 7), (2, 12), (81, 18), (40, 39), (25, 52), (19, 91), (64, 46), (37, 73), (90, 9)]
SHAPES = [(2, 3), (3, 3), (4, 5), (1, 8), (10, 10), (2, 2), (5, 4), (3, 7), (6, 2), (8, 8), (1, 1), (9, 3),
          (4, 4), (2, 10), (7, 1), (5, 5)]


def _a(phrase):
    """Capitalise the first letter of a phrase that starts a sentence."""
    return phrase[0].upper() + phrase[1:]


def templated_pairs():
    """(question, answer) pairs from the templates, in a fixed order."""
    pairs = []
    for thing, colour in COLOURS:
        pairs.append((f"What color is {thing}?", f"{_a(thing)} is {colour}."))
    for animal, sound in SOUNDS:
        pairs.append((f"What does {animal} say?", f"{_a(animal)} says {sound}."))
    for animal, legs in LEGS:
        pairs.append((f"How many legs does {animal} have?", f"{_a(animal)} has {legs} legs."))
    for animal, home in HOMES:
        pairs.append((f"Where does {animal} live?", f"{_a(animal)} lives {home}."))
    for animal, baby in BABIES:
        pairs.append((f"What is a baby {animal} called?", f"A baby {animal} is called {baby}."))
    for word, other in OPPOSITES:
        pairs.append((f"What is the opposite of {word}?", f"The opposite of {word} is {other}."))
        if other not in ("light weight",):
            pairs.append((f"What is the opposite of {other}?", f"The opposite of {other} is {word}."))
    for word, plural in PLURALS:
        pairs.append((f"What is the plural of {word}?", f"The plural of {word} is {plural}."))
    for word in SPELLING:
        pairs.append((f"How do you spell {word}?", f"{_a(word)} is spelled {'-'.join(word)}."))
    for thing, use in USES:
        pairs.append((f"What do you use {thing} for?", f"You use {thing} {use}."))
    for i, day in enumerate(DAYS):
        pairs.append((f"What day comes after {day}?", f"{DAYS[(i + 1) % 7]} comes after {day}."))
        pairs.append((f"What day comes before {day}?", f"{DAYS[i - 1]} comes before {day}."))
    for i, month in enumerate(MONTHS):
        pairs.append((f"What month comes after {month}?", f"{MONTHS[(i + 1) % 12]} comes after {month}."))
        pairs.append((f"What month comes before {month}?", f"{MONTHS[i - 1]} comes before {month}."))
    for n in range(0, 31):
        pairs.append((f"What number comes after {n}?", f"{n + 1} comes after {n}."))
    for n in range(1, 21):
        pairs.append((f"What number comes before {n}?", f"{n - 1} comes before {n}."))
    for a in range(1, 10):
        for b in range(a, 10):
            pairs.append((f"What is {a} plus {b}?", f"{a} plus {b} is {a + b}."))
    for a in range(2, 11):
        for b in range(1, a, 2 if a % 2 else 3):
            pairs.append((f"What is {a} minus {b}?", f"{a} minus {b} is {a - b}."))
    for a, b in COMPARE:
        pairs.append((f"Which is bigger, {a} or {b}?", f"{max(a, b)} is bigger than {min(a, b)}."))
    for n in range(1, 31):
        pairs.append((f"Is {n} even or odd?", f"{n} is {'even' if n % 2 == 0 else 'odd'}."))
    for rows, cols in SHAPES:
        numbers = rows * cols
        pairs.append((f"How many bytes does a float32 tensor of shape ({rows}, {cols}) use?",
                      f"It holds {numbers} numbers, so it uses {4 * numbers} bytes."))
    return pairs


def handwritten_pairs(path=HANDWRITTEN):
    """(question, answer) pairs of handwritten.txt, in file order; malformed blocks are an error."""
    pairs = []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    for block in "\n".join(lines).split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        parts = block.split("\n")
        if len(parts) != 2 or not parts[0].startswith("Q: ") or not parts[1].startswith("A: "):
            raise SystemExit(f"{path.name}: a block must be one 'Q: ' line and one 'A: ' line, got {block!r}")
        pairs.append((parts[0][3:], parts[1][3:]))
    return pairs


def all_pairs():
    """Every pair as one 'Q: ...\\nA: ...' string: handwritten first, then templated; validated."""
    pairs = handwritten_pairs() + templated_pairs()
    questions = [q for q, _ in pairs]
    repeated = sorted({q for q in questions if questions.count(q) > 1})
    if repeated:
        raise SystemExit(f"questions must be unique; repeated: {repeated}")
    texts = []
    for question, answer in pairs:
        for part in (question, answer):
            if not part or part != part.strip() or "\n" in part or not part.isascii():
                raise SystemExit(f"each question and answer is one trimmed ASCII line, got {part!r}")
        texts.append(f"Q: {question}\nA: {answer}")
    return texts


def split(texts):
    """(train, validation): the round(VALIDATION_FRACTION * n) pairs with the smallest salted sha256 keys are
    validation; both keep source order."""
    keys = [hashlib.sha256((SPLIT_SALT + text).encode("utf-8")).hexdigest() for text in texts]
    n_val = round(VALIDATION_FRACTION * len(texts))
    chosen = set(sorted(range(len(texts)), key=lambda i: keys[i])[:n_val])
    train = [text for i, text in enumerate(texts) if i not in chosen]
    val = [text for i, text in enumerate(texts) if i in chosen]
    return train, val


def build():
    """The bytes of tinytalks.npz and the (train, val) lists they hold."""
    train, val = split(all_pairs())
    # '<U' arrays are fixed-width unicode: plain numbers in the file, loadable with allow_pickle=False.
    arrays = {"train": np.array(train, dtype=str), "val": np.array(val, dtype=str)}
    return reproducible_npz_bytes(arrays), train, val


def main(argv):
    data, train, val = build()
    sha256 = hashlib.sha256(data).hexdigest()
    if "--check" in argv:
        same = OUTPUT.is_file() and OUTPUT.read_bytes() == data
        print(f"{OUTPUT}: {'identical to' if same else 'DIFFERS from'} a fresh build (sha256 {sha256})")
        return 0 if same else 1
    OUTPUT.write_bytes(data)
    text = {name: "".join(p + "\n\n" for p in pairs) for name, pairs in (("train", train), ("val", val))}
    print(f"wrote {OUTPUT} ({len(data)} bytes)")
    print(f"pairs: train {len(train)}  val {len(val)}  total {len(train) + len(val)}")
    print(f"characters: train {len(text['train'])}  val {len(text['val'])}")
    print(f"distinct characters: {len(set(text['train'] + text['val']))}")
    print(f"sha256 {sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
