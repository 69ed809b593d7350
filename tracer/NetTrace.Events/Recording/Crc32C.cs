using System.Buffers.Binary;
using System.Numerics;

namespace NetTrace.Events.Recording;

/// <summary>
/// CRC-32C (Castagnoli), the checksum after every record. BitOperations.Crc32C uses the SSE4.2 / ARMv8 CRC
/// instruction when the CPU has it, so checking every record costs next to nothing.
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }
}
