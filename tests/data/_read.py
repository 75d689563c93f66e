"""Reading a dataset to its end in tests: every element of each pass through an initializable iterator."""
import gpunet as gn


def read_all(dataset, feed=None, runs=1):
    """The elements of ``runs`` passes (the initializer fed ``feed`` each time): one list, or a list per pass."""
    iterator = dataset.make_initializable_iterator()
    element = iterator.get_next()
    passes = []
    with gn.Session() as sess:
        for _ in range(runs):
            sess.run(iterator.initializer, feed)
            out = []
            try:
                while True:
                    out.append(sess.run(element))
            except gn.errors.OutOfRangeError:
                passes.append(out)
    return passes[0] if runs == 1 else passes
