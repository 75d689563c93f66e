"""A tiny word2vec (skip-gram with NCE), as TensorFlow's word2vec_basic.py writes it:
``build_dataset`` ranks the words by frequency (UNK first), ``generate_batch`` slides a
``collections.deque`` window over the corpus, embeddings are looked up with
``tf.nn.embedding_lookup`` and trained with ``tf.nn.nce_loss`` (its default log-uniform sampler)
and plain gradient descent; nearest neighbours by cosine similarity of normalized embeddings.

Only the import differs from TensorFlow 1.x (was: import tensorflow as tf); the corpus is
synthetic instead of text8: sentences of words drawn from one topic each (words ``t<topic>w<k>``,
Zipf-like frequencies), so the neighbours of a word should be words of its own topic."""
from __future__ import division, print_function

import collections
import math
import random

import numpy as np
import gpunet.compat.v1 as tf

# Step 1: the data, a synthetic corpus.
num_topics, words_per_topic = 5, 12


def make_corpus(n_sentences=1500, sentence_length=8, seed=0):
    rng = np.random.RandomState(seed)
    weights = 1.0 / np.arange(1, words_per_topic + 1)
    weights /= weights.sum()
    words = []
    for _ in range(n_sentences):
        topic = rng.randint(num_topics)
        for k in rng.choice(words_per_topic, sentence_length, p=weights):
            words.append('t%dw%d' % (topic, k))
    return words


vocabulary = make_corpus()
print('Data size', len(vocabulary))

# Step 2: build the dictionary and replace rare words with the UNK token.
vocabulary_size = 50


def build_dataset(words, n_words):
    count = [['UNK', -1]]
    count.extend(collections.Counter(words).most_common(n_words - 1))
    dictionary = dict()
    for word, _ in count:
        dictionary[word] = len(dictionary)
    data = list()
    unk_count = 0
    for word in words:
        index = dictionary.get(word, 0)
        if index == 0:  # dictionary['UNK']
            unk_count += 1
        data.append(index)
    count[0][1] = unk_count
    reversed_dictionary = dict(zip(dictionary.values(), dictionary.keys()))
    return data, count, dictionary, reversed_dictionary


data, count, dictionary, reverse_dictionary = build_dataset(vocabulary, vocabulary_size)
del vocabulary
print('Most common words (+UNK)', count[:5])

data_index = 0


# Step 3: a function to generate a training batch for the skip-gram model.
def generate_batch(batch_size, num_skips, skip_window):
    global data_index
    assert batch_size % num_skips == 0
    assert num_skips <= 2 * skip_window
    batch = np.ndarray(shape=(batch_size), dtype=np.int32)
    labels = np.ndarray(shape=(batch_size, 1), dtype=np.int32)
    span = 2 * skip_window + 1  # [ skip_window target skip_window ]
    buffer = collections.deque(maxlen=span)
    if data_index + span > len(data):
        data_index = 0
    buffer.extend(data[data_index:data_index + span])
    data_index += span
    for i in range(batch_size // num_skips):
        context_words = [w for w in range(span) if w != skip_window]
        words_to_use = random.sample(context_words, num_skips)
        for j, context_word in enumerate(words_to_use):
            batch[i * num_skips + j] = buffer[skip_window]
            labels[i * num_skips + j, 0] = buffer[context_word]
        if data_index == len(data):
            buffer.extend(data[0:span])
            data_index = span
        else:
            buffer.append(data[data_index])
            data_index += 1
    # Backtrack a little bit to avoid skipping words in the end of a batch
    data_index = (data_index + len(data) - span) % len(data)
    return batch, labels


random.seed(0)
batch, labels = generate_batch(batch_size=8, num_skips=2, skip_window=1)
for i in range(4):
    print(batch[i], reverse_dictionary[batch[i]], '->', labels[i, 0], reverse_dictionary[labels[i, 0]])

# Step 4: build and train a skip-gram model.
batch_size = 64
embedding_size = 16  # Dimension of the embedding vector.
skip_window = 2      # How many words to consider left and right.
num_skips = 4        # How many times to reuse an input to generate a label.
num_sampled = 12     # Number of negative examples to sample.

# Validation: the nearest neighbours of a few of the most frequent words.
valid_size = 8
valid_window = 20
valid_examples = np.random.RandomState(1).choice(np.arange(1, valid_window), valid_size, replace=False)

graph = tf.Graph()

with graph.as_default():
    tf.set_random_seed(1)

    # Input data.
    train_inputs = tf.placeholder(tf.int32, shape=[batch_size])
    train_labels = tf.placeholder(tf.int32, shape=[batch_size, 1])
    valid_dataset = tf.constant(valid_examples, dtype=tf.int32)

    # Ops and variables pinned to the CPU because of missing GPU implementation
    with tf.device('/cpu:0'):
        # Look up embeddings for inputs.
        embeddings = tf.Variable(tf.random_uniform([vocabulary_size, embedding_size], -1.0, 1.0))
        embed = tf.nn.embedding_lookup(embeddings, train_inputs)

        # Construct the variables for the NCE loss
        nce_weights = tf.Variable(
            tf.truncated_normal([vocabulary_size, embedding_size], stddev=1.0 / math.sqrt(embedding_size)))
        nce_biases = tf.Variable(tf.zeros([vocabulary_size]))

    # Compute the average NCE loss for the batch.
    # tf.nce_loss automatically draws a new sample of the negative labels each
    # time we evaluate the loss.
    loss = tf.reduce_mean(
        tf.nn.nce_loss(weights=nce_weights,
                       biases=nce_biases,
                       labels=train_labels,
                       inputs=embed,
                       num_sampled=num_sampled,
                       num_classes=vocabulary_size))

    # Construct the SGD optimizer using a learning rate of 1.0.
    optimizer = tf.train.GradientDescentOptimizer(1.0).minimize(loss)

    # Compute the cosine similarity between minibatch examples and all embeddings.
    norm = tf.sqrt(tf.reduce_sum(tf.square(embeddings), 1, keep_dims=True))
    normalized_embeddings = embeddings / norm
    valid_embeddings = tf.nn.embedding_lookup(normalized_embeddings, valid_dataset)
    similarity = tf.matmul(valid_embeddings, normalized_embeddings, transpose_b=True)

    # Add variable initializer.
    init = tf.global_variables_initializer()

# Step 5: begin training.
num_steps = 2001

with tf.Session(graph=graph) as session:
    # We must initialize all variables before we use them.
    init.run()
    print('Initialized')

    average_loss = 0
    for step in range(num_steps):
        batch_inputs, batch_labels = generate_batch(batch_size, num_skips, skip_window)
        feed_dict = {train_inputs: batch_inputs, train_labels: batch_labels}

        _, loss_val = session.run([optimizer, loss], feed_dict=feed_dict)
        average_loss += loss_val

        if step % 500 == 0:
            if step > 0:
                average_loss /= 500
            # The average loss is an estimate of the loss over the last 500 batches.
            print('Average loss at step ', step, ': ', average_loss)
            average_loss = 0

    sim = similarity.eval()
    for i in range(valid_size):
        valid_word = reverse_dictionary[valid_examples[i]]
        top_k = 4  # number of nearest neighbors
        nearest = (-sim[i, :]).argsort()[1:top_k + 1]
        log_str = 'Nearest to %s:' % valid_word
        for k in range(top_k):
            close_word = reverse_dictionary[nearest[k]]
            log_str = '%s %s,' % (log_str, close_word)
        print(log_str)
    final_embeddings = normalized_embeddings.eval()
