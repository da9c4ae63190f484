"""Activations, losses and layers on tinytorch and torch: outputs, gradients, module API and reprs agree."""
import numpy as np
import pytest

from parity import assert_same_run, case, const, covers, error_case, module_case, run_case, set_parameters, to_numpy

rng = np.random.default_rng(11)

# Logits far beyond exp's float32 range: a naive softmax or log(sigmoid) gives inf or nan here.
EXTREME = np.array([[1000.0, -1000.0, 0.0, 3.0], [-1000.0, -1000.0, -999.0, -1000.0]], dtype=np.float32)


def labels(n, classes):
    return rng.integers(0, classes, n)


def probabilities(*shape):
    return const(rng.random(shape).astype(np.float32))


ACTIVATIONS = [
    case("ReLU", lambda m, x: m.ReLU()(x), (3, 4)),
    case("ReLU", lambda m, x: m.ReLU()(x), rng.standard_normal((2, 3))),
    case("Sigmoid", lambda m, x: m.Sigmoid()(x), (3, 4)),
    case("Sigmoid", lambda m, x: m.Sigmoid()(x), EXTREME),
    case("Sigmoid", lambda m, x: m.Sigmoid()(x), rng.standard_normal(5)),
    case("Tanh", lambda m, x: m.Tanh()(x), (3, 4)),
    case("Tanh", lambda m, x: m.Tanh()(x), EXTREME),
    case("GELU", lambda m, x: m.GELU()(x), (3, 4)),
    case("GELU", lambda m, x: m.GELU(approximate="none")(x), EXTREME),
    case("GELU", lambda m, x: m.GELU(approximate="tanh")(x), (3, 4)),
    case("GELU", lambda m, x: m.GELU(approximate="tanh")(x), EXTREME),
    case("GELU", lambda m, x: m.GELU(approximate="tanh")(x), rng.standard_normal(6)),
    case("Softmax", lambda m, x: m.Softmax(dim=-1)(x), (3, 4)),
    case("Softmax", lambda m, x: m.Softmax(dim=0)(x), (3, 4)),
    case("Softmax", lambda m, x: m.Softmax(dim=1)(x), (2, 3, 4)),
    case("Softmax", lambda m, x: m.Softmax(dim=-1)(x), EXTREME),
    case("Softmax", lambda m, x: m.Softmax(dim=1)(x), rng.standard_normal((2, 5))),
    case("Softmax", lambda m, x: m.Softmax(dim=1)(x), (3, 4)),
]

LOSSES = [
    case("MSELoss", lambda m, x, y: m.MSELoss()(x, y), (4, 3), const((4, 3))),
    case("MSELoss", lambda m, x, y: m.MSELoss(reduction="sum")(x, y), (4, 3), const((4, 3))),
    case("MSELoss", lambda m, x, y: m.MSELoss(reduction="none")(x, y), (4, 3), const((4, 3))),
    case("MSELoss", lambda m, x, y: m.MSELoss()(x, y), (5,), (5,)),  # a target that requires grad
    case("MSELoss", lambda m, x, y: m.MSELoss()(x, y), rng.standard_normal(3), const(rng.standard_normal(3))),
    case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss()(x, t), (5, 4), labels(5, 4)),
    case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss(reduction="sum")(x, t), (5, 4), labels(5, 4)),
    case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss(reduction="none")(x, t), (5, 4), labels(5, 4)),
    case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss()(x, t), EXTREME, np.array([0, 2])),
    case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss(reduction="none")(x, t), EXTREME, np.array([1, 0])),
    case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss()(x, t), rng.standard_normal((3, 2)), labels(3, 2)),
    case("BCEWithLogitsLoss", lambda m, x, y: m.BCEWithLogitsLoss()(x, y), (4, 3), probabilities(4, 3)),
    case("BCEWithLogitsLoss", lambda m, x, y: m.BCEWithLogitsLoss(reduction="sum")(x, y), (6,), probabilities(6)),
    case("BCEWithLogitsLoss", lambda m, x, y: m.BCEWithLogitsLoss(reduction="none")(x, y), (4, 3), probabilities(4, 3)),
    case("BCEWithLogitsLoss", lambda m, x, y: m.BCEWithLogitsLoss(reduction="none")(x, y), EXTREME,
         const(np.array([[1, 0, 1, 0], [0, 1, 0.5, 1]], dtype=np.float32))),
    case("BCEWithLogitsLoss", lambda m, x, y: m.BCEWithLogitsLoss()(x, y), rng.standard_normal(4),
         const(rng.random(4))),
]

LAYERS = [
    module_case("Linear", lambda m: m.Linear(4, 3), (5, 4)),
    module_case("Linear", lambda m: m.Linear(4, 3), (4,)),
    module_case("Linear", lambda m: m.Linear(4, 3), (2, 5, 4)),
    module_case("Linear", lambda m: m.Linear(4, 3, bias=False), (5, 4)),
    module_case(("Sequential", "Linear", "ReLU", "Tanh"),
                lambda m: m.Sequential(m.Linear(4, 8), m.ReLU(), m.Linear(8, 8), m.Tanh(), m.Linear(8, 2)), (6, 4)),
    module_case(("Sequential", "GELU", "Softmax"),
                lambda m: m.Sequential(m.Linear(3, 5), m.GELU(), m.Linear(5, 4), m.Softmax(dim=1)), (2, 3)),
    module_case(("Dropout", "Module.eval"), lambda m: m.Dropout(0.5).eval(), (4, 5)),
    module_case(("Dropout", "Module.eval", "Sequential"),
                lambda m: m.Sequential(m.Linear(4, 4), m.Dropout(0.3)).eval(), (3, 4)),
    module_case("Dropout", lambda m: m.Dropout(0.0), (4, 5)),
]

ERRORS = [
    error_case("ReLU", lambda m: m.ReLU()([1.0, -1.0])),
    error_case("Softmax", lambda m, x: m.Softmax(dim=2)(x), (3, 4)),
    error_case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss()(x, t), (3, 4), np.array([0, 1, 4])),
    error_case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss()(x, t), (3, 4), np.array([0, -1, 2])),
    error_case("MSELoss", lambda m, x, y: m.MSELoss(reduction="mean_of_all")(x, y), (3,), const((3,))),
    error_case("BCEWithLogitsLoss", lambda m, x, y: m.BCEWithLogitsLoss(reduction="avg")(x, y), (3,), const((3,))),
    error_case("Dropout", lambda m: m.Dropout(1.5)),
    error_case("Dropout", lambda m: m.Dropout(-0.1)),
]


@pytest.mark.parametrize("check", ACTIVATIONS + LOSSES + LAYERS + ERRORS)
def test_nn_matches_torch(check):
    check()


def tiny_network(m):
    """A user-defined Module as a PyTorch tutorial writes it: layers, a bare Parameter, a sub-model."""
    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.hidden = m.Linear(3, 4)
            self.scale = m.Parameter(m.Tensor(np.ones(4, dtype=np.float32)))
            self.head = m.Sequential(m.Linear(4, 4), m.Linear(4, 2))

        def forward(self, x):
            return self.head(m.ReLU()(self.hidden(x) * self.scale))

    return set_parameters(Net())


def module_bookkeeping(m):
    net = tiny_network(m)
    after_eval = [module.training for _, module in net.eval().named_modules()]
    net.train()
    return ([name for name, _ in net.named_parameters()], len(list(net.parameters())),
            [name for name, _ in net.named_modules()], [name for name, _ in net.named_children()],
            len(list(net.children())), list(net.state_dict()), after_eval, net.training, net.head.training)


def module_forward_backward_zero_grad(m):
    net = tiny_network(m)
    x = m.Tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    out = net(x)
    (out * out).sum().backward()
    grads = [p.grad for p in net.parameters()]
    net.zero_grad()
    return out, grads, [p.grad for p in net.parameters()]


def load_state_dict_round_trip(m):
    source, target = tiny_network(m), set_parameters(tiny_network(m), seed=1)
    target.load_state_dict(source.state_dict())
    return [p for p in target.parameters()]


def sequential_container(m):
    model = set_parameters(m.Sequential(m.Linear(2, 3), m.ReLU(), m.Linear(3, 1)))
    return len(model), repr(model[0]), repr(model[:2]), [repr(layer) for layer in model], model[2].weight


def parameter_basics(m):
    p = m.Parameter(m.Tensor(np.array([1.0, 2.0], dtype=np.float32)))
    frozen = m.Parameter(m.Tensor(np.zeros(2, dtype=np.float32)), requires_grad=False)
    return p, isinstance(p, m.Tensor), p.requires_grad, frozen.requires_grad, (p * 2).requires_grad


SCENARIOS = [
    run_case(("Module", "Module.named_parameters", "Module.parameters", "Module.named_modules",
              "Module.named_children", "Module.children", "Module.state_dict", "Module.train", "Module.eval"),
             module_bookkeeping),
    run_case(("Module", "Module.zero_grad", "Parameter"), module_forward_backward_zero_grad),
    run_case(("Module.load_state_dict", "Module.state_dict"), load_state_dict_round_trip),
    run_case("Sequential", sequential_container),
    run_case("Parameter", parameter_basics),
]


@pytest.mark.parametrize("check", SCENARIOS)
def test_module_api_matches_torch(check):
    check()


@covers("Dropout", "Module.train")
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_in_training_zeroes_a_fraction_p_and_scales_the_rest_by_1_over_1_minus_p(p):
    def statistics(m):
        m.manual_seed(0)
        out = m.Dropout(p).train()(m.Tensor(np.ones((200, 100), dtype=np.float32)))
        values = to_numpy(out)
        kept = values[values != 0]
        # the dropped fraction is p give or take 5 standard deviations of a binomial over 20000 draws
        return (bool(abs((values == 0).mean() - p) < 5 * np.sqrt(p * (1 - p) / values.size)),
                np.unique(kept).tolist() == [np.float32(1 / (1 - p))])

    assert_same_run(statistics)


@covers("Dropout")
def test_dropout_with_p_1_zeroes_everything():
    assert_same_run(lambda m: m.Dropout(1.0)(m.Tensor(np.ones((3, 4), dtype=np.float32))).detach())


REPRS = [
    case("Tensor.__repr__", lambda m, x: repr(x), const(np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))),
    case("Tensor.__repr__", lambda m, x: repr(x), const(np.zeros((2, 2, 2), dtype=np.float32))),
    case(("Sequential", "Linear", "ReLU", "Sigmoid", "Tanh", "GELU", "Softmax"),
         lambda m: repr(m.Sequential(m.Linear(2, 3), m.ReLU(), m.Sigmoid(), m.Tanh(), m.GELU(),
                                     m.GELU(approximate="tanh"), m.Softmax(dim=1), m.Linear(3, 1, bias=False)))),
    case(("MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss"),
         lambda m: [repr(m.MSELoss()), repr(m.CrossEntropyLoss()), repr(m.BCEWithLogitsLoss(reduction="sum"))]),
    case("Module", lambda m: repr(tiny_network(m))),
]


@pytest.mark.parametrize("check", REPRS)
def test_repr_matches_torch(check):
    check()


def sequential_with_activation_names(m):
    model = m.Sequential(m.Linear(2, 3), m.ReLU(), m.Linear(3, 1))
    return [name for name, _ in model.named_modules()], [name for name, _ in model.named_children()]


def module_list_model(m):
    """A model keeping its layers in a ModuleList: registered, named by position, trained like torch."""
    class Stack(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = m.nn.ModuleList([m.nn.Linear(3, 4), m.nn.Linear(4, 2)])
            self.layers.append(m.nn.Tanh())
            self.register_buffer("scale", m.tensor([2.0]))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x * self.scale

    model = set_parameters(Stack())
    x = m.tensor(np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32))
    model(x).sum().backward()
    return ([name for name, _ in model.named_parameters()], list(model.state_dict()), len(model.layers),
            [type(module).__name__ for module in model.modules()], model.layers[0].weight.grad,
            [type(layer).__name__ for layer in model.layers[1:]])


MODULE_SEMANTICS = [
    case(("ReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss"),
         lambda m: [isinstance(cls(), m.Module) for cls in (m.ReLU, m.Sigmoid, m.Tanh, m.GELU, m.Softmax,
                                                            m.MSELoss, m.CrossEntropyLoss, m.BCEWithLogitsLoss)]),
    run_case(("Sequential", "Module.named_modules"), sequential_with_activation_names),
    case("Sequential", lambda m: repr(m.Sequential(m.ReLU(), m.Linear(2, 3), m.Tanh())[1:])),
    run_case("Module.state_dict", lambda m: set_parameters(m.Linear(2, 1)).state_dict()),
    run_case("Module", lambda m: [type(module).__name__
                                  for module in m.Sequential(m.Linear(2, 2), m.Linear(2, 1)).modules()]),
    case("Dropout", lambda m: repr(m.Dropout(0.25))),
    run_case(("ModuleList", "nn.ModuleList", "Module.register_buffer"), module_list_model),
    case("ModuleList", lambda m: repr(m.nn.ModuleList([m.nn.Linear(2, 2), m.nn.Linear(2, 2), m.nn.ReLU()]))),
    error_case("Sequential", lambda m: m.nn.Sequential(m.nn.Linear(2, 3), m.nn.Softmax)),
]


@pytest.mark.parametrize("check", MODULE_SEMANTICS)
def test_module_semantics_match_torch(check):
    check()


F_CASES = [
    case("nn.functional.relu", lambda m, x: m.nn.functional.relu(x), (3, 4)),
    case("nn.functional.sigmoid", lambda m, x: m.nn.functional.sigmoid(x), (3, 4)),
    case("nn.functional.tanh", lambda m, x: m.nn.functional.tanh(x), (3, 4)),
    case("nn.functional.gelu", lambda m, x: m.nn.functional.gelu(x), (3, 4)),
    case("nn.functional.gelu", lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), (3, 4)),
    case("nn.functional.softmax", lambda m, x: m.nn.functional.softmax(x, dim=1), (3, 4)),
    case("nn.functional.softmax", lambda m, x: m.nn.functional.softmax(x * 1000, dim=0), (3, 4)),
    case("nn.functional.log_softmax", lambda m, x: m.nn.functional.log_softmax(x, dim=-1), (3, 4)),
    case("nn.functional.log_softmax", lambda m, x: m.nn.functional.log_softmax(x * 1000, dim=1), (3, 4)),
    case("nn.functional.cross_entropy", lambda m, x, t: m.nn.functional.cross_entropy(x, t), (5, 4),
         np.array([0, 3, 1, 1, 2])),
    case("nn.functional.cross_entropy", lambda m, x, t: m.nn.functional.cross_entropy(x, t, reduction="none"),
         (5, 4), np.array([0, 3, 1, 1, 2])),
    case("nn.functional.mse_loss", lambda m, x, y: m.nn.functional.mse_loss(x, y), (3, 4), (3, 4)),
    case("nn.functional.mse_loss", lambda m, x, y: m.nn.functional.mse_loss(x, y, reduction="sum"), (3, 4), const((3, 4))),
    case("nn.functional.binary_cross_entropy_with_logits",
         lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(x, y), (6,),
         const(np.float32([0, 1, 1, 0, 0.5, 1]))),
    case("nn.functional.linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b), (5, 3), (4, 3), (4,)),
    case("nn.functional.linear", lambda m, x, w: m.nn.functional.linear(x, w), (5, 3), (4, 3)),
    case("nn.functional.dropout", lambda m, x: m.nn.functional.dropout(x, p=0.5, training=False), (3, 4)),
    run_case("nn.functional.dropout", lambda m: float((m.nn.functional.dropout(m.ones(10000), p=1.0) == 0).float().mean())),
]


@pytest.mark.parametrize("check", F_CASES)
def test_functional_matches_torch(check):
    check()
