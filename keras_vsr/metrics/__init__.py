from keras_vsr.metrics.image_quality import PSNR, SSIM, psnr, rgb_to_y, ssim
from keras_vsr.metrics.lpips import LPIPS, LPIPSDistance, lpips
