"""``gn.contrib.rnn``: TF1's ``tf.contrib.rnn`` aliases of the ``gn.nn.rnn_cell`` cells and the RNN runners."""
from ..nn import bidirectional_dynamic_rnn, dynamic_rnn, rnn_cell, static_rnn

BasicLSTMCell = rnn_cell.BasicLSTMCell
BasicRNNCell = rnn_cell.BasicRNNCell
DropoutWrapper = rnn_cell.DropoutWrapper
GRUCell = rnn_cell.GRUCell
LSTMCell = rnn_cell.LSTMCell
LSTMStateTuple = rnn_cell.LSTMStateTuple
MultiRNNCell = rnn_cell.MultiRNNCell
RNNCell = rnn_cell.RNNCell

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DropoutWrapper", "GRUCell", "LSTMCell", "LSTMStateTuple", "MultiRNNCell",
           "RNNCell", "bidirectional_dynamic_rnn", "dynamic_rnn", "static_rnn"]
