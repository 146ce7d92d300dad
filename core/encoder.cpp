// Implementation of core/encoder.h.
#include "core/encoder.h"

#include "core/activations.h"
#include "core/conv2d.h"
#include "core/init.h"
#include "core/linear.h"

#include <stdexcept>
#include <string>

namespace invgfx {

template <class T>
std::unique_ptr<SequentialT<T>> make_encoder(const EncoderOptions& opt) {
  if (opt.channels.empty() || opt.in_channels < 1 || opt.out_features < 1 || opt.kernel < 2 || opt.kernel % 2)
    throw std::invalid_argument("EncoderOptions: need ≥ 1 conv layer, channels ≥ 1 and an even kernel ≥ 2");
  auto net = std::make_unique<SequentialT<T>>("encoder");
  int64_t c = opt.in_channels, side = opt.image_size;
  for (size_t i = 0; i < opt.channels.size(); ++i) {
    if (side < 2 || side % 2)
      throw std::invalid_argument("EncoderOptions: image_size " + std::to_string(opt.image_size) +
                                  " cannot be halved " + std::to_string(opt.channels.size()) + " times");
    const std::string k = std::to_string(i + 1);
    net->template emplace<Conv2dT<T>>("conv" + k, Conv2dOptions::square(c, opt.channels[i], opt.kernel, 2, opt.kernel / 2 - 1));
    net->template emplace<LeakyReLUT<T>>("act" + k, opt.leaky_slope);
    c = opt.channels[i];
    side /= 2;
  }
  net->template emplace<LinearT<T>>("fc", c * side * side, opt.out_features);
  init_default(*net, opt.seed);
  return net;
}

template std::unique_ptr<SequentialT<float>> make_encoder<float>(const EncoderOptions&);
template std::unique_ptr<SequentialT<double>> make_encoder<double>(const EncoderOptions&);

}  // namespace invgfx
