from keras_vsr.losses.pixel import CharbonnierLoss, L1Loss, MSELoss
