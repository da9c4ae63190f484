"""`patch_to`: attach a function to a class as a method, keeping its name and docstring.

A course notebook grows a class part by part (module 01 writes `Tensor`, then its arithmetic, then its
reductions). Writing `Tensor.sum = tensor_sum` after the fact loses the method's identity; this
decorator keeps it, so `help(Tensor.sum)` and tracebacks name `Tensor.sum`:

    @patch_to(Tensor, name="sum")
    def tensor_sum(self, dim=None, keepdim=False):
        "Sum over dim ..."
"""
__all__ = ["patch_to"]


def patch_to(cls, name=None, as_property=False):
    """Decorator: set the function as `cls.<name>` (its own name unless `name` is given; a property if
    `as_property`) and return it. Give `name` for methods such as `sum` or `max`, so the module-level
    function can be called `tensor_sum` and Python's built-in `sum` is not shadowed."""
    def attach(function):
        function.__name__ = name or function.__name__
        function.__qualname__ = f"{cls.__name__}.{function.__name__}"
        setattr(cls, function.__name__, property(function) if as_property else function)
        return function
    return attach
