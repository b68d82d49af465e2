from keras_vsr.trainers.gradients import gradient_penalty, input_gradient
