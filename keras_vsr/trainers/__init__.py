from keras_vsr.trainers.gradients import input_gradient
