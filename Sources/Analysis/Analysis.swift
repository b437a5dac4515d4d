/// Analysis — image-cipher security metrics, NIST SP 800-22 and PNG plots.
public import Pixels
