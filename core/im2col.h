// Lowering of 2-D convolution to matrix products (im2col / col2im) and the layout changes around it.
//
// A convolution over a batch is computed as one product per layer: the columns matrix holds, for every
// output pixel of every image, the input patch it sees, so that Y = W · col with W of C_out × (C_in·kh·kw)
// and col of (C_in·kh·kw) × (N·OH·OW). Row r = (c·kh + ky)·kw + kx matches the PyTorch weight layout
// C_out × C_in × kh × kw; column j = n·OH·OW + oy·OW + ox. Its adjoint col2im scatters (adds) columns
// back onto the image, which is how the gradient of the input and the transposed convolution are made.
#pragma once

#include <cstdint>
#include <string>

namespace invgfx {

// Geometry of one convolution: the input plane it reads, the kernel, and the output plane it makes.
struct ConvGeometry {
  int64_t channels = 1;                // input channels C
  int64_t in_h = 1, in_w = 1;          // input plane, pixels
  int64_t kernel_h = 1, kernel_w = 1;  // kernel, pixels ≥ 1
  int64_t stride_h = 1, stride_w = 1;  // stride, pixels ≥ 1
  int64_t pad_h = 0, pad_w = 0;        // zero padding on each side, pixels ≥ 0
  int64_t out_h = 1, out_w = 1;        // ⌊(in + 2·pad − kernel) / stride⌋ + 1

  // Fills out_h/out_w; throws std::invalid_argument, naming `who`, when the output would be empty.
  static ConvGeometry make(const std::string& who, int64_t channels, int64_t in_h, int64_t in_w,
                           int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                           int64_t pad_h, int64_t pad_w);
  int64_t rows() const { return channels * kernel_h * kernel_w; }  // rows of col
  int64_t pixels() const { return out_h * out_w; }                  // columns of col per image
};

// Writes the kh·kw rows of one input channel (an in_h×in_w plane) into col, whose rows are ld apart.
template <class T>
void im2col_plane(const T* x, const ConvGeometry& g, T* col, int64_t ld);
// Adjoint of im2col_plane: adds the kh·kw rows back onto the plane x.
template <class T>
void col2im_plane_add(const T* col, int64_t ld, const ConvGeometry& g, T* x);

// The whole batch x (N×C×in_h×in_w) into col (rows() × N·pixels()), parallel over images and channels.
template <class T>
void im2col_batch(const T* x, int64_t n, const ConvGeometry& g, T* col);
// x += col2im(col), parallel over images and channels (each plane has one writer: no races).
template <class T>
void col2im_batch_add(const T* col, int64_t n, const ConvGeometry& g, T* x);

// N×C×P (NCHW with P = H·W) ↔ C×(N·P) "channel-major", the layout of a batched product's output.
// to_channel_major: out[c][n·P + p] = x[n][c][p].
template <class T>
void to_channel_major(const T* x, int64_t n, int64_t c, int64_t p, T* out);
// from_channel_major: x[n][c][p] = in[c][n·P + p] + (bias ? bias[c] : 0).
template <class T>
void from_channel_major(const T* in, int64_t n, int64_t c, int64_t p, const T* bias, T* x);
// to_channel_major that also adds the per-channel sums into bias_grad (when not null), in one pass
// and one parallel region: each channel, with its sum, belongs to one thread.
template <class T>
void to_channel_major_sum(const T* x, int64_t n, int64_t c, int64_t p, T* out, T* bias_grad);
// bias_grad[c] += Σ_n Σ_p dy[n][c][p] for an N×C×P tensor.
template <class T>
void add_channel_sums(const T* dy, int64_t n, int64_t c, int64_t p, T* bias_grad);

}  // namespace invgfx
