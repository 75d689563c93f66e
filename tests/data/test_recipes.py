"""TF1's "Reading data" and "Threading and Queues" recipes, unchanged but for the import."""
import numpy as np

import gpunet as tf


def test_csv_pipeline(tmp_path):
    rows = [[i, i * 2, i * 3, i * 4, i % 3] for i in range(7)]
    files = []
    for part in (rows[:4], rows[4:]):
        path = tmp_path / f"file{len(files)}.csv"
        path.write_text("".join(",".join(map(str, r)) + "\n" for r in part))
        files.append(str(path))
    # --- the recipe ---
    filename_queue = tf.train.string_input_producer(files, num_epochs=2, shuffle=False)
    reader = tf.TextLineReader()
    key, value = reader.read(filename_queue)
    record_defaults = [[1], [1], [1], [1], [1]]
    col1, col2, col3, col4, col5 = tf.decode_csv(value, record_defaults=record_defaults)
    features = tf.stack([col1, col2, col3, col4])
    seen = []
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(coord=coord)  # the default session, as in the recipe
        try:
            while not coord.should_stop():
                example, label = sess.run([features, col5])
                seen.append(example.tolist() + [int(label)])
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads)
    assert seen == rows + rows  # each record once per epoch, in file order


def test_random_shuffle_queue_training_loop_with_num_epochs():
    rng = np.random.RandomState(0)
    data_x = rng.randn(60, 3).astype(np.float32)
    data_y = data_x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    # --- the recipe ---
    x_slice, y_slice = tf.train.slice_input_producer([data_x, data_y], num_epochs=3, shuffle=True, seed=1)
    queue = tf.RandomShuffleQueue(capacity=40, min_after_dequeue=10, dtypes=[tf.float32, tf.float32],
                                  shapes=[[3], [1]], seed=2)
    enqueue_op = queue.enqueue([x_slice, y_slice])
    qr = tf.train.QueueRunner(queue, [enqueue_op] * 4)
    tf.train.add_queue_runner(qr)
    x_batch, y_batch = queue.dequeue_up_to(10)
    w = tf.Variable(tf.zeros([3, 1]))
    loss = tf.reduce_mean(tf.square(tf.matmul(x_batch, w) - y_batch))
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    seen = 0
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=sess, coord=coord)
        first = None
        try:
            while not coord.should_stop():
                _, step_loss, xb = sess.run([train_op, loss, x_batch])
                first = step_loss if first is None else first
                seen += len(xb)
        except tf.errors.OutOfRangeError:
            print("Done training -- epoch limit reached")
        finally:
            coord.request_stop()
        coord.join(threads)
        final = sess.run(loss, {x_batch: data_x, y_batch: data_y})
    assert seen == 180  # 3 epochs of 60 examples, none lost or repeated
    assert final < first / 10


def test_cifar10_style_fixed_length_reader_into_two_towers(tmp_path, vgpus):
    label_bytes, height, width, depth = 1, 4, 4, 3
    image_bytes = height * width * depth
    record_bytes = label_bytes + image_bytes
    rng = np.random.RandomState(0)
    records = rng.randint(0, 256, size=(40, record_bytes)).astype(np.uint8)
    records[:, 0] %= 10
    files = []
    for i, part in enumerate(np.split(records, 2)):
        path = tmp_path / f"data_batch_{i}.bin"
        path.write_bytes(part.tobytes())
        files.append(str(path))
    # --- the recipe ---
    filename_queue = tf.train.string_input_producer(files)
    reader = tf.FixedLengthRecordReader(record_bytes=record_bytes)
    key, value = reader.read(filename_queue)
    record = tf.decode_raw(value, tf.uint8)
    label = tf.cast(tf.strided_slice(record, [0], [label_bytes]), tf.int32)
    depth_major = tf.reshape(tf.strided_slice(record, [label_bytes], [record_bytes]), [depth, height, width])
    image = tf.cast(tf.transpose(depth_major, [1, 2, 0]), tf.float32)
    label.set_shape([1])
    images, labels = tf.train.shuffle_batch([image, label], batch_size=8, num_threads=2, capacity=40,
                                            min_after_dequeue=16, seed=3)
    tower_sums = []
    for i in range(2):
        with tf.device(f"/gpu:{i}"):
            tower_sums.append(tf.reduce_sum(images, axis=[1, 2, 3]))
    per_label = {int(r[0]): set() for r in records}
    for r in records:
        per_label[int(r[0])].add(float(r[1:].astype(np.float32).sum()))
    config = tf.ConfigProto(allow_soft_placement=True)
    with tf.Session(config=config) as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        report = sess.placement_report(tower_sums)
        for _ in range(5):
            sums0, sums1, lab = sess.run([tower_sums[0], tower_sums[1], labels])
            np.testing.assert_array_equal(sums0, sums1)
            for s, l in zip(sums0, lab[:, 0]):
                assert float(s) in per_label[int(l)]  # each image arrives with its own label
        coord.request_stop()
        coord.join(threads)
    assert sorted(c.dst.name[-5:] for c in report.copies) == ["GPU:0", "GPU:1"]  # one batch copy per tower
    assert all(c.tensor.op.type == "QueueDequeue" for c in report.copies)
    assert not any(t.is_alive() for t in threads)
