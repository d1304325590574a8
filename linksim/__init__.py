"""The radio side: ``linksim.farfield`` (ASCC, far-field ISSC), ``linksim.nearfield``
(NF, near-field fluid-antenna ISCSC), and shared pieces: ``linksim.units`` (dB / dBm /
watt conversions, speed of light) and ``linksim.phy`` (Sionna 5G LDPC + QAM + AWGN)."""
