"""A convolutional network on the digits in raw TF1 (no estimator, no layers), as the popular TF1
example scripts write it: ``conv2d``/``bias_add``/``relu`` and ``max_pool`` wrappers, weights in
dicts, ``reshape(x, shape=[-1, h, w, 1])``, the fully connected input size read back with
``get_shape().as_list()``, ``dropout`` with a fed ``keep_prob``, Adam, a ``while step * batch_size
< training_iters`` loop.

Only the import differs from TensorFlow 1.x (was: import tensorflow as tf); the data are the
digits (8x8) instead of MNIST's 28x28, so two poolings leave 2x2 instead of 7x7."""
from __future__ import print_function

import gpunet.compat.v1 as tf

import input_data

mnist = input_data.read_data_sets("/tmp/data/", one_hot=True)

tf.set_random_seed(2)

# Parameters
learning_rate = 0.002
training_iters = 12800
batch_size = 64
display_step = 50

# Network parameters
n_input = 64
n_classes = 10
dropout = 0.75  # probability to keep a unit

X = tf.placeholder(tf.float32, [None, n_input])
Y = tf.placeholder(tf.float32, [None, n_classes])
keep_prob = tf.placeholder(tf.float32)


def conv2d(x, W, b, strides=1):
    x = tf.nn.conv2d(x, W, strides=[1, strides, strides, 1], padding='SAME')
    x = tf.nn.bias_add(x, b)
    return tf.nn.relu(x)


def maxpool2d(x, k=2):
    return tf.nn.max_pool(x, ksize=[1, k, k, 1], strides=[1, k, k, 1], padding='SAME')


def conv_net(x, weights, biases, dropout):
    x = tf.reshape(x, shape=[-1, 8, 8, 1])
    conv1 = maxpool2d(conv2d(x, weights['wc1'], biases['bc1']), k=2)
    conv2 = maxpool2d(conv2d(conv1, weights['wc2'], biases['bc2']), k=2)
    fc1 = tf.reshape(conv2, [-1, weights['wd1'].get_shape().as_list()[0]])
    fc1 = tf.nn.relu(tf.add(tf.matmul(fc1, weights['wd1']), biases['bd1']))
    fc1 = tf.nn.dropout(fc1, dropout)
    return tf.add(tf.matmul(fc1, weights['out']), biases['out'])


weights = {
    'wc1': tf.Variable(tf.random_normal([3, 3, 1, 16], stddev=0.3)),
    'wc2': tf.Variable(tf.random_normal([3, 3, 16, 32], stddev=0.1)),
    'wd1': tf.Variable(tf.random_normal([2 * 2 * 32, 128], stddev=0.1)),
    'out': tf.Variable(tf.random_normal([128, n_classes], stddev=0.1))
}
biases = {
    'bc1': tf.Variable(tf.zeros([16])),
    'bc2': tf.Variable(tf.zeros([32])),
    'bd1': tf.Variable(tf.zeros([128])),
    'out': tf.Variable(tf.zeros([n_classes]))
}

pred = conv_net(X, weights, biases, keep_prob)

loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=pred, labels=Y))
optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate)
train_op = optimizer.minimize(loss_op)

correct_pred = tf.equal(tf.argmax(pred, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))

init = tf.global_variables_initializer()

with tf.Session() as sess:
    sess.run(init)
    step = 1
    while step * batch_size < training_iters:
        batch_x, batch_y = mnist.train.next_batch(batch_size)
        sess.run(train_op, feed_dict={X: batch_x, Y: batch_y, keep_prob: dropout})
        if step % display_step == 0 or step == 1:
            loss, acc = sess.run([loss_op, accuracy], feed_dict={X: batch_x, Y: batch_y, keep_prob: 1.})
            print("Iter " + str(step * batch_size) + ", Minibatch Loss= " + "{:.6f}".format(loss) +
                  ", Training Accuracy= " + "{:.5f}".format(acc))
        step += 1
    print("Optimization Finished!")
    print("Testing Accuracy:", sess.run(accuracy, feed_dict={X: mnist.test.images[:256],
                                                             Y: mnist.test.labels[:256],
                                                             keep_prob: 1.}))
