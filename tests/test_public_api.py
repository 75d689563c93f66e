"""The public API surface: every name in each public namespace's ``__all__`` exists and, when
callable, has a docstring (factory-made op builders too); ``dir(gn)`` shows the API only."""
import inspect
import types

import pytest

import gpunet as gn
from gpunet.graph.registry import get_op_def, registered_ops
from gpunet.ops._elementwise import define_unary
from gpunet.ops.reduction_ops import reduction

INTERNAL_PACKAGES = ("graph", "ops", "keras_losses")


def _public_namespaces():
    """``{'gn': gn, 'gn.nn': gn.nn, 'gn.app.flags': ...}``: gn and every module reachable through
    ``__all__`` names that has an ``__all__`` of its own (each module once: gn.compat.v1 is gn)."""
    found = {}

    def visit(path, module):
        if any(module is seen for seen in found.values()):
            return
        found[path] = module
        for name in module.__all__:
            value = getattr(module, name, None)
            if isinstance(value, types.ModuleType) and hasattr(value, "__all__"):
                visit(f"{path}.{name}", value)
    visit("gn", gn)
    return found


NAMESPACES = _public_namespaces()


def _own_doc(obj):
    """The docstring ``obj`` itself has. gpunet's classes and functions must have their own (an
    inherited class docstring describes the base, not them); other callables (a protobuf class,
    a callable instance) are judged by ``inspect.getdoc``."""
    if (inspect.isclass(obj) or inspect.isroutine(obj)) and getattr(obj, "__module__", "").startswith("gpunet"):
        return (obj.__doc__ or "").strip()
    return (inspect.getdoc(obj) or "").strip()


def test_the_sweep_reaches_the_sub_namespaces():
    assert {"gn", "gn.nn", "gn.train", "gn.losses", "gn.layers", "gn.config", "gn.data", "gn.app.flags",
            "gn.io.gfile", "gn.parallel.mpi"} <= set(NAMESPACES)


@pytest.mark.parametrize("path", sorted(NAMESPACES))
def test_every_name_in_all_exists(path):
    module = NAMESPACES[path]
    assert [n for n in module.__all__ if not hasattr(module, n)] == []
    assert len(set(module.__all__)) == len(module.__all__), f"{path}.__all__ repeats a name"


@pytest.mark.parametrize("path", sorted(NAMESPACES))
def test_every_public_callable_has_a_docstring(path):
    module = NAMESPACES[path]
    callables = {n: getattr(module, n) for n in module.__all__
                 if callable(getattr(module, n, None)) and not isinstance(getattr(module, n), types.ModuleType)}
    assert [f"{path}.{n}" for n, obj in callables.items() if not _own_doc(obj)] == []


def test_own_doc_does_not_count_an_inherited_class_docstring():
    class Documented:
        """Says what it is."""

    class Child(Documented):
        pass
    Child.__module__ = Documented.__module__ = "gpunet.fake"
    assert _own_doc(Documented) == "Says what it is."
    assert _own_doc(Child) == ""
    assert _own_doc(lambda: None) == ""


def test_dir_shows_the_public_api_only():
    assert dir(gn) == sorted(gn.__all__ + ["__version__"])
    for internal in INTERNAL_PACKAGES:
        assert internal not in dir(gn)
        assert internal not in gn.__all__


# -- factory-made builders: their docstring comes from the doc registered with the op -------------
FACTORY_BUILDERS = [(gn.exp, "Exp"), (gn.floor, "Floor"), (gn.negative, "Neg"), (gn.logical_not, "LogicalNot"),
                    (gn.reduce_sum, "Sum"), (gn.reduce_any, "Any"), (gn.nn.relu, "Relu"), (gn.nn.softplus, "Softplus"),
                    (gn.sigmoid, "Sigmoid"), (gn.tanh, "Tanh"), (gn.add, "AddV2"), (gn.floordiv, "FloorDiv"),
                    (gn.equal, "Equal"), (gn.logical_and, "LogicalAnd")]


@pytest.mark.parametrize("builder, op_type", FACTORY_BUILDERS, ids=[t for _, t in FACTORY_BUILDERS])
def test_factory_builders_begin_with_their_op_doc(builder, op_type):
    op_def = get_op_def(op_type)
    assert op_def.doc.strip()
    assert builder.__doc__.startswith(op_def.doc + "\n")
    assert "Args:" in builder.__doc__ and "Returns:" in builder.__doc__
    # an op without a gradient says so; one with a gradient does not
    assert ("Not differentiable" in builder.__doc__) == (op_def.grad is None)


def test_every_op_doc_is_one_line():
    documented = {t: d.doc for t, d in registered_ops().items() if d.doc}
    assert {t for _, t in FACTORY_BUILDERS} <= set(documented)
    assert [t for t, doc in documented.items() if "\n" in doc or doc != doc.strip()] == []


@pytest.mark.parametrize("doc", [None, "", "   "])
def test_factories_refuse_an_op_without_a_doc_before_registering_it(doc):
    with pytest.raises(ValueError, match=r"Op type 'UndocumentedOp' has a public builder but no doc"):
        define_unary("UndocumentedOp", "UndocumentedOp", lambda ctx: None, doc=doc)
    with pytest.raises(ValueError, match=r"Op type 'UndocumentedOp' has a public builder but no doc"):
        reduction("UndocumentedOp", lambda ctx: None, doc=doc)
    with pytest.raises(KeyError, match="No op type 'UndocumentedOp' is registered"):
        get_op_def("UndocumentedOp")
