using NetTrace.Events;
using NetTrace.Events.Recording;
using Xunit;

namespace NetTrace.Tracer.Tests.Recordings;

public class RecordingFormatTests
{
    private static (List<TraceEvent> events, ReadStop stop) Read(byte[] bytes)
    {
        using var reader = new RecordingReader(new MemoryStream(bytes));
        var events = reader.ReadAll().ToList();
        return (events, reader.Stop!);
    }

    [Fact]
    public void Round_trip_gives_back_every_event_equal()
    {
        var events = SampleRecording.Events();
        var (read, stop) = Read(SampleRecording.Bytes(events));
        Assert.Equal(ReadStopReason.EndOfFile, stop.Reason);
        Assert.True(stop.Complete);
        Assert.Equal(events, read);
        Assert.Equal(events.Count, stop.RecordsRead);
    }

    [Fact]
    public void File_starts_with_magic_and_version()
    {
        var bytes = SampleRecording.Bytes(SampleRecording.Events());
        Assert.Equal("NTRACE1\n"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BitConverter.ToUInt32(bytes, 8));
        Assert.True(RecordingReader.HasMagic(bytes));
    }

    [Fact]
    public void Cut_at_every_offset_reads_back_the_whole_records_before_the_cut()
    {
        var events = SampleRecording.Events();
        var bytes = SampleRecording.Bytes(events);
        var ends = SampleRecording.RecordEnds(events);
        Assert.Equal(bytes.Length, ends[^1]);

        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var (read, stop) = Read(bytes[..cut]);
            var whole = ends.Count(e => e <= cut);
            Assert.Equal(events.Take(whole), read);
            if (cut < 8)
                Assert.Equal(ReadStopReason.BadHeader, stop.Reason);
            else if (cut == RecordingFormat.HeaderLength || ends.Contains(cut))
                Assert.Equal(ReadStopReason.EndOfFile, stop.Reason);   // cut exactly on a record boundary
            else
            {
                Assert.Equal(ReadStopReason.Truncated, stop.Reason);
                var expectedOffset = whole == 0 ? (cut < RecordingFormat.HeaderLength ? cut : RecordingFormat.HeaderLength) : ends[whole - 1];
                Assert.Equal(expectedOffset, stop.Offset);
            }
            Assert.Equal(whole, stop.RecordsRead);
        }
    }

    [Fact]
    public void Corrupted_byte_is_detected_by_the_checksum_and_reading_stops_there()
    {
        var events = SampleRecording.Events();
        var bytes = SampleRecording.Bytes(events);
        var ends = SampleRecording.RecordEnds(events);
        // Flip one bit in the middle of the third record's protobuf bytes.
        var target = ends[1] + (ends[2] - ends[1]) / 2;
        bytes[target] ^= 0x10;

        var (read, stop) = Read(bytes);
        Assert.Equal(ReadStopReason.ChecksumMismatch, stop.Reason);
        Assert.Equal(ends[1], stop.Offset);
        Assert.Equal(events.Take(2), read);
        Assert.Contains("checksum", stop.Message);
    }

    [Fact]
    public void Corrupted_checksum_bytes_are_detected()
    {
        var events = SampleRecording.Events();
        var bytes = SampleRecording.Bytes(events);
        var ends = SampleRecording.RecordEnds(events);
        bytes[ends[0] - 1] ^= 0xFF;   // last byte of the first record's CRC
        var (read, stop) = Read(bytes);
        Assert.Equal(ReadStopReason.ChecksumMismatch, stop.Reason);
        Assert.Empty(read);
        Assert.Equal(RecordingFormat.HeaderLength, stop.Offset);
    }

    [Fact]
    public void Impossible_length_prefix_is_reported_not_allocated()
    {
        var bytes = SampleRecording.Bytes(SampleRecording.Events().Take(1)).ToList();
        bytes.AddRange([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);   // varint ~4 GiB
        var (read, stop) = Read(bytes.ToArray());
        Assert.Single(read);
        Assert.Equal(ReadStopReason.BadLength, stop.Reason);
    }

    [Fact]
    public void Other_files_are_refused_by_their_header()
    {
        var (read, stop) = Read("\xd4\xc3\xb2\xa1 pcap bytes here"u8.ToArray());
        Assert.Empty(read);
        Assert.Equal(ReadStopReason.BadHeader, stop.Reason);

        var future = SampleRecording.Bytes([]);
        future[8] = 9;
        (_, stop) = Read(future);
        Assert.Equal(ReadStopReason.BadHeader, stop.Reason);
        Assert.Contains("version 9", stop.Message);
    }

    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        // RFC 3720 / the CRC catalogue's check value for "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
    }
}
