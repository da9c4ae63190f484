"""tinytorch.profiler (module 14): restoring, exact counts, self vs total, nesting, the table, record_function,
and the FLOP / memory / Amdahl helpers against hand counts."""
import numpy as np
import pytest

import tinytorch
from tinytorch import nn
from tinytorch.core.autograd import graph_footprint
from tinytorch.core.profiling import _targets, amdahl, attention_flops, conv2d_flops, linear_flops, model_memory
from tinytorch.profiler import EventList, profile, record_function


def snapshot():
    return {(owner, name): vars(owner)[name] for owner, name, _, _ in _targets()}


def assert_restored(before):
    changed = [f"{o.__name__}.{n}" for (o, n), f in before.items() if vars(o)[n] is not f]
    assert changed == []


def rows(prof):
    return {row.key: row for row in prof.key_averages()}


def test_every_method_restored_after_the_block_and_after_an_exception():
    before = snapshot()
    assert len(before) > 40  # Tensor ops, every autograd node, Module.__call__, optimizer steps
    with profile():
        assert vars(tinytorch.Tensor)["__matmul__"] is not before[(tinytorch.Tensor, "__matmul__")]
        tinytorch.ones(2, 2) @ tinytorch.ones(2, 2)
    assert_restored(before)
    with pytest.raises(KeyError):
        with profile():
            tinytorch.ones(3) + 1
            raise KeyError("inside")
    assert_restored(before)


def test_wrapped_methods_keep_their_names_and_results():
    x = tinytorch.tensor([[1.0, 2.0], [3.0, 4.0]])
    with profile():
        assert tinytorch.Tensor.__matmul__.__name__ == "__matmul__"
        inside = (x @ x).numpy()
    np.testing.assert_allclose(inside, x.numpy() @ x.numpy())


def test_counts_calls_exactly_on_a_known_workload():
    tinytorch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = tinytorch.randn(5, 4)
    with profile() as prof:
        for _ in range(3):
            model(x).sum().backward()
    counts = {key: row.count for key, row in rows(prof).items()}
    assert counts["nn.Module: Sequential"] == 3
    assert counts["nn.Module: Linear"] == 6
    assert counts["nn.Module: ReLU"] == 3
    assert "Tensor.__matmul__" not in counts  # Linear is one fused node since module 17, not x @ W.T + b
    assert counts["Tensor.sum"] == 3 and counts["Tensor.backward"] == 3
    assert counts["AddmmBackward0"] == 6 and counts["ReluBackward0"] == 3 and counts["SumBackward0"] == 3


def test_self_time_is_total_minus_children_through_nested_modules():
    model = nn.Sequential(nn.Sequential(nn.Linear(8, 8), nn.ReLU()), nn.Linear(8, 2))
    x = tinytorch.randn(16, 8)
    prof = profile()
    ticks = iter(range(10_000))
    prof._recorder.clock = lambda: float(next(ticks))
    with prof:
        model(x)
    table = rows(prof)
    for row in table.values():
        assert 0 <= row.self_cpu_time_total <= row.cpu_time_total
    # one tick per clock reading: a call's total is 2·(calls inside it) + 1 ticks, its self time 1 + (children)
    outer = table["nn.Module: Sequential"]
    assert outer.count == 2
    everything = sum(row.self_cpu_time_total for row in table.values())
    first_reading, last_reading = 0, 2 * sum(row.count for row in table.values()) - 1
    assert everything == (last_reading - first_reading) * 1e6  # self times add up to the outermost total


def test_an_op_that_raises_inside_the_block_closes_its_frame():
    prof = profile()
    with prof:
        with pytest.raises(ValueError):
            tinytorch.ones(2, 3) @ tinytorch.ones(2, 3)
        tinytorch.ones(2) + 1
    assert prof._recorder.stack == []
    assert rows(prof)["Tensor.__matmul__"].count == 1
    assert rows(prof)["Tensor.__add__"].cpu_time_total < rows(prof)["Tensor.__matmul__"].cpu_time_total + 1e6


def test_profiles_do_not_nest_and_nothing_is_recorded_after_the_block():
    with profile() as prof:
        with pytest.raises(RuntimeError, match="already running"):
            profile().__enter__()
        tinytorch.ones(2) * 2
    tinytorch.ones(2) * 2
    assert rows(prof)["Tensor.__mul__"].count == 1


def test_record_function_rows_nest_and_do_nothing_outside_a_profile():
    with record_function("nothing running"):
        tinytorch.ones(2) + 1
    prof = profile()
    ticks = iter(range(1000))
    prof._recorder.clock = lambda: float(next(ticks))
    with prof:
        with record_function("outer region"):
            tinytorch.ones(2) + 1
            with record_function("inner region"):
                tinytorch.ones(2) * 3

        @record_function("decorated")
        def f():
            return tinytorch.ones(2) - 1
        f()
    table = rows(prof)
    assert "nothing running" not in table
    assert table["outer region"].count == 1 and table["inner region"].count == 1 and table["decorated"].count == 1
    # outer: readings 0..7 (total 7); its children add (1..2) and inner (3..6): self 7 - 1 - 3 = 3 ticks
    assert table["outer region"].cpu_time_total == 7e6 and table["outer region"].self_cpu_time_total == 3e6
    assert table["inner region"].cpu_time_total == 3e6 and table["inner region"].self_cpu_time_total == 2e6


def test_table_columns_sorting_and_row_limit():
    prof = profile(with_flops=True)
    ticks = iter(range(1000))
    prof._recorder.clock = lambda: float(next(ticks)) * 1e-3  # a reading every millisecond
    with prof:
        a = tinytorch.ones(4, 5)
        for _ in range(3):
            a @ tinytorch.ones(5, 6)
        a + 1
    text = prof.key_averages().table(sort_by="cpu_time_total", row_limit=1)
    lines = text.splitlines()
    header = lines[1].split()
    assert header == ["Name", "Self", "CPU", "%", "Self", "CPU", "CPU", "total", "%", "CPU", "total", "CPU", "time",
                      "avg", "#", "of", "Calls", "Total", "FLOPs"]
    assert lines[0].startswith("-") and lines[2].startswith("-") and lines[4].startswith("-")
    body = lines[3].split()
    assert body[0] == "Tensor.__matmul__" and len(lines) == 6  # one row only
    assert body[-2] == "3" and body[-1] == f"{3 * 2 * 4 * 5 * 6:,}"  # calls and FLOPs 2·M·K·N each
    assert body[2] == "3.000ms" and body[4] == "3.000ms" and body[5] == "1.000ms"
    assert lines[-1] == "Self CPU time total: 4.000ms"
    with pytest.raises(ValueError, match="sort by one of"):
        prof.key_averages().table(sort_by="time")
    assert isinstance(prof.key_averages(), EventList)
    assert "--" in prof.key_averages().table().splitlines()[4]  # the add row has no FLOPs


def test_flops_rows_of_linear_and_conv_match_the_formulas():
    conv, linear = nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=1), nn.Linear(7, 4)
    with profile(with_flops=True) as prof:
        conv(tinytorch.zeros(2, 3, 9, 8))
        linear(tinytorch.zeros(3, 6, 7))
    table = rows(prof)
    h_out, w_out = (9 + 2 - 3) // 2 + 1, (8 + 2 - 2) // 1 + 1
    assert table["nn.Module: Conv2d"].flops == 2 * 2 * 5 * h_out * w_out * 3 * 3 * 2
    assert table["nn.Module: Linear"].flops == 2 * 18 * 7 * 4


def test_flop_formulas_and_amdahl_against_hand_counts():
    assert linear_flops(32, 64, 10) == 40960
    assert conv2d_flops(1, 3, 16, 3, (32, 32), padding=1) == 2 * 16 * 32 * 32 * 3 * 9
    assert conv2d_flops(1, 1, 1, 3, 5, stride=2) == 2 * 4 * 9
    assert attention_flops(2, 4, 16, 8) == 2 * 4 * (2 * 16 * 16 * 8) * 2
    assert amdahl(0.7, 2) == pytest.approx(1.538, abs=1e-3)
    assert amdahl(1, 5) == pytest.approx(5) and amdahl(0, 5) == 1
    with pytest.raises(ValueError, match="fraction"):
        amdahl(1.2, 2)
    with pytest.raises(ValueError, match="speedup"):
        amdahl(0.5, 0)


def test_model_memory_splits_parameters_and_activations():
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 3))
    x = tinytorch.zeros(8, 10)
    memory = model_memory(model, x)
    assert memory["parameters"] == (10 * 20 + 20 + 20 * 3 + 3) * 4
    assert memory["activations"] == graph_footprint(model(x).sum())[1] - memory["parameters"] - x.numpy().nbytes
    assert memory["activations"] > 0
    assert model_memory(model, tinytorch.zeros(64, 10))["activations"] > memory["activations"]


def test_tinytorch_profiler_namespace():
    assert tinytorch.profiler.profile is profile and tinytorch.profiler.record_function is record_function


def test_a_function_marked_profile_as_is_one_row_with_its_flops_wherever_it_is_called_from():
    from tinytorch.core.acceleration import unaccelerated
    from tinytorch.core.profiling import attention_flops
    B, H, T, D = 2, 3, 5, 4
    q = tinytorch.Tensor(np.random.default_rng(0).standard_normal((B, H, T, D)), requires_grad=True)
    gpt = tinytorch.GPT(vocab_size=7, block_size=T, n_layer=2, n_head=2, n_embd=8)
    with profile(with_flops=True) as prof:
        tinytorch.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True)  # nn.functional's name
        gpt(tinytorch.Tensor(np.zeros((B, T), dtype=np.int64), dtype=np.int64))  # the transformer module's name, twice
    row = next(row for row in prof.key_averages() if row.key == "nn.functional.scaled_dot_product_attention")
    assert row.count == 3 and row.flops == attention_flops(B, H, T, D) + 2 * attention_flops(B, 2, T, 4)
    assert tinytorch.nn.functional.scaled_dot_product_attention.__name__ == "scaled_dot_product_attention"
    with unaccelerated(), profile(with_flops=True) as prof:  # module 12's composition: its matmuls are rows
        gpt(tinytorch.Tensor(np.zeros((B, T), dtype=np.int64), dtype=np.int64))
    keys = {row.key for row in prof.key_averages()}
    assert "nn.functional.scaled_dot_product_attention" not in keys and "Tensor.__matmul__" in keys
