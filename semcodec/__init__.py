"""semcodec package."""

import warnings

# CompressAI imports torch_geometric, which calls ``torch.jit.script`` at import
# time; torch >= 2.10 then prints a FutureWarning on every process start (each
# encode, decode and sweep worker). It is third-party code we cannot change and it
# does not affect results, so it is silenced here, once, for that message only.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated",
                        category=FutureWarning)
