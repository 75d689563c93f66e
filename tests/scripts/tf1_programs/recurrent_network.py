"""A recurrent network classifying the digits row by row, as the popular TF1 example scripts'
recurrent_network.py writes it: each image is a sequence of rows fed to a ``BasicLSTMCell``
(``forget_bias=1.0``) run by ``tf.nn.dynamic_rnn``; the last output goes through a dense layer of
``tf.Variable(tf.random_normal(...))`` weights; softmax cross-entropy, Adam, accuracy from argmax.

Only the imports differ from TensorFlow 1.x (was: import tensorflow as tf; from tensorflow.contrib
import rnn); the data are the digits (8 rows of 8 pixels) instead of MNIST's 28 x 28."""
from __future__ import print_function

import gpunet.compat.v1 as tf
from gpunet.contrib import rnn

import input_data

mnist = input_data.read_data_sets("/tmp/data/", one_hot=True)

tf.set_random_seed(1)

# Training parameters
learning_rate = 0.01
training_steps = 300
batch_size = 64
display_step = 100

# Network parameters
num_input = 8    # digits input (img shape: 8*8)
timesteps = 8    # timesteps
num_hidden = 32  # hidden layer num of features
num_classes = 10

X = tf.placeholder("float", [None, timesteps, num_input])
Y = tf.placeholder("float", [None, num_classes])

weights = {'out': tf.Variable(tf.random_normal([num_hidden, num_classes]))}
biases = {'out': tf.Variable(tf.random_normal([num_classes]))}


def RNN(x, weights, biases):
    lstm_cell = rnn.BasicLSTMCell(num_hidden, forget_bias=1.0)
    outputs, states = tf.nn.dynamic_rnn(lstm_cell, x, dtype=tf.float32)
    # the last step's output, as outputs[-1] of the unrolled version
    return tf.matmul(outputs[:, -1, :], weights['out']) + biases['out']


logits = RNN(X, weights, biases)
prediction = tf.nn.softmax(logits)

loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=Y))
optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate)
train_op = optimizer.minimize(loss_op)

correct_pred = tf.equal(tf.argmax(prediction, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))

init = tf.global_variables_initializer()

with tf.Session() as sess:
    sess.run(init)
    for step in range(1, training_steps + 1):
        batch_x, batch_y = mnist.train.next_batch(batch_size)
        batch_x = batch_x.reshape((batch_size, timesteps, num_input))
        sess.run(train_op, feed_dict={X: batch_x, Y: batch_y})
        if step % display_step == 0 or step == 1:
            loss, acc = sess.run([loss_op, accuracy], feed_dict={X: batch_x, Y: batch_y})
            print("Step " + str(step) + ", Minibatch Loss= " + "{:.4f}".format(loss) + ", Training Accuracy= " +
                  "{:.3f}".format(acc))
    print("Optimization Finished!")

    test_data = mnist.test.images.reshape((-1, timesteps, num_input))
    test_label = mnist.test.labels
    print("Testing Accuracy:", sess.run(accuracy, feed_dict={X: test_data, Y: test_label}))
