#!/usr/bin/env python3
"""Writes the vendor-format test files in patterns/vendor-formats/ from a real measured pattern.

No XRDML, BRML or Bruker RAW v1/v4 file from outside the project is available here, so the measured IUCr CPD
corundum scan (patterns/qpa-roundrobin/corundum.prn, Philips PW3020, Cu) is written in each format by this
script, following the published layouts (XRDML schema 1.0/1.5 element names; BRML = ZIP with
Experiment0/RawData0.xml and Datum rows "time,1,2theta,theta,counts"; RAW v1 per the DIFFRAC-AT manual,
appendix B; RAW v4 per the segment layout documented by xylib/GSAS-II). The tests read each file and compare
with the .prn values, so a reader that takes a wrong offset, stride or axis fails. Run from the repository
root: python3 scripts/make_vendor_format_fixtures.py
"""
import struct
import zipfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
src = root / "patterns/qpa-roundrobin/corundum.prn"
out = root / "patterns/vendor-formats"
out.mkdir(exist_ok=True)
rows = [l.split() for l in src.read_text().splitlines() if l.strip()]
x = [float(r[0]) for r in rows][:2000]
y = [float(r[1]) for r in rows][:2000]
n, start, step = len(x), x[0], round(x[1] - x[0], 6)

# XRDML 1.5: counts, start/end positions, attenuation factor 1 except a block of points measured at 1/10.
atten = [10.0 if 500 <= i < 520 else 1.0 for i in range(n)]
measured = [yy / a for yy, a in zip(y, atten)]
def num(v):
    return ("%.6f" % v).rstrip("0").rstrip(".")
(out / "corundum-1.5.xrdml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" status="Completed">
  <xrdMeasurement measurementType="Scan" status="Completed">
    <usedWavelength intended="K-Alpha">
      <kAlpha1 unit="Angstrom">1.5405980</kAlpha1>
      <kAlpha2 unit="Angstrom">1.5444260</kAlpha2>
      <ratioKAlpha2KAlpha1>0.5000</ratioKAlpha2KAlpha1>
    </usedWavelength>
    <scan appendNumber="0" mode="Continuous" scanAxis="Gonio" status="Completed">
      <dataPoints>
        <positions axis="2Theta" unit="deg">
          <startPosition>{num(start)}</startPosition>
          <endPosition>{num(start + step * (n - 1))}</endPosition>
        </positions>
        <positions axis="Omega" unit="deg">
          <startPosition>{num(start / 2)}</startPosition>
          <endPosition>{num((start + step * (n - 1)) / 2)}</endPosition>
        </positions>
        <commonCountingTime unit="seconds">2.00</commonCountingTime>
        <beamAttenuationFactors>{' '.join(num(a) for a in atten)}</beamAttenuationFactors>
        <counts unit="counts">{' '.join(num(m) for m in measured)}</counts>
      </dataPoints>
    </scan>
  </xrdMeasurement>
</xrdMeasurements>
""")

# XRDML 1.0: intensities in counts per second with listPositions.
t = 2.0
(out / "corundum-1.0.xrdml").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.0" status="Completed">
  <xrdMeasurement measurementType="Scan" status="Completed">
    <scan appendNumber="0" mode="Pre-set time" scanAxis="Gonio" status="Completed">
      <dataPoints>
        <positions axis="2Theta" unit="deg">
          <listPositions>{' '.join(num(v) for v in x)}</listPositions>
        </positions>
        <commonCountingTime unit="seconds">{t}</commonCountingTime>
        <intensities unit="counts/s">{' '.join(num(v / t) for v in y)}</intensities>
      </dataPoints>
    </scan>
  </xrdMeasurement>
</xrdMeasurements>
""")

# BRML: deflated ZIP, the tube's wavelengths (FixedInformation/Instrument/PrimaryTracks/TrackInfoData/
# MountedOptics/InfoData/Tube), Datum rows (time, 1, 2θ, θ, counts).
datums = "\n".join(f"      <Datum>1,1,{num(a)},{num(a / 2)},{int(b)}</Datum>" for a, b in zip(x, y))
raw_xml = f"""<?xml version="1.0" encoding="utf-8"?>
<RawDataFile xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Version="4">
  <FixedInformation>
    <Instrument>
      <PrimaryTracks>
        <TrackInfoData>
          <MountedOptics>
            <InfoData>
              <Tube>
                <WaveLengthAlpha1 Value="1.5406" Unit="Å" />
                <WaveLengthAlpha2 Value="1.54439" Unit="Å" />
                <WaveLengthRatio Value="0.5" />
              </Tube>
            </InfoData>
          </MountedOptics>
        </TrackInfoData>
      </PrimaryTracks>
    </Instrument>
  </FixedInformation>
  <DataRoutes>
    <DataRoute Description="Originally measured data." RouteFlag="Final">
      <ScanInformation ScanName="Coupled TwoTheta/Theta">
        <ScanMode>StepScan</ScanMode>
        <ScanAxes>
          <ScanAxisInfo AxisId="TwoTheta" AxisName="2Theta" Unit="°"><Start>{num(start)}</Start><Increment>{num(step)}</Increment></ScanAxisInfo>
        </ScanAxes>
      </ScanInformation>
{datums}
    </DataRoute>
  </DataRoutes>
</RawDataFile>
"""
with zipfile.ZipFile(out / "corundum.brml", "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("experimentCollection.xml", '<?xml version="1.0"?><ExperimentCollection/>')
    z.writestr("Experiment0/DataContainer.xml", '<?xml version="1.0"?><DataContainer/>')
    z.writestr("Experiment0/RawData0.xml", raw_xml)

# RAW v1: magic, then one 152-byte range header and float32 counts.
h = bytearray(152)
struct.pack_into("<I", h, 0, n)
struct.pack_into("<f", h, 4, 1.0)          # time per step
struct.pack_into("<f", h, 8, step)
struct.pack_into("<I", h, 12, 1)           # scan mode
struct.pack_into("<f", h, 20, start)
struct.pack_into("<f", h, 24, start / 2)   # θ start
struct.pack_into("<ff", h, 28, -1e6, -1e6) # χ, φ unknown
h[36:68] = b"corundum CPD QPA".ljust(32, b"\0")
struct.pack_into("<ff", h, 68, 1.54056, 1.54439)
struct.pack_into("<I", h, 148, 0)          # no range follows
(out / "corundum-v1.raw").write_bytes(b"RAW " + bytes(h) + struct.pack(f"<{n}f", *y))

# RAW v4: 61-byte preamble, a key-value segment (kind 10), then a range (marker 160) with one drive record
# (kind 50, 64 bytes) and 8-byte data records (float32 count, int32 1).
pre = bytearray(61)
pre[0:7] = b"RAW4.00"
pre[12:22] = b"11/21/2026"
seg = bytearray(36 + 12)
struct.pack_into("<II", seg, 0, 10, len(seg))
seg[12:36] = b"SAMPLEID".ljust(24, b"\0")
seg[36:48] = b"corundum".ljust(12, b"\0")
drive = bytearray(64)
struct.pack_into("<II", drive, 0, 50, 64)
struct.pack_into("<I", drive, 8, 1)
drive[12:36] = b"2Theta".ljust(24, b"\0")
struct.pack_into("<d", drive, 56, start)
rng = bytearray(160)
struct.pack_into("<I", rng, 0, 160)
rng[32:56] = b"Locked Coupled".ljust(24, b"\0")
struct.pack_into("<dd", rng, 72, start, step)
struct.pack_into("<I", rng, 88, n)
struct.pack_into("<f", rng, 92, 1000.0)
struct.pack_into("<d", rng, 112, 1.54060)
struct.pack_into("<II", rng, 136, 8, len(drive))
records = b"".join(struct.pack("<fi", v, 1) for v in y)
(out / "corundum-v4.raw").write_bytes(bytes(pre) + bytes(seg) + bytes(rng) + bytes(drive) + records)
print(f"wrote {n} points from {src.name} into {out}")
