#pragma once
// y <- a x + y on device pointers; returns the CUDA error code of the launch.
int launch_saxpy(int n, float a, const float* x, float* y);
