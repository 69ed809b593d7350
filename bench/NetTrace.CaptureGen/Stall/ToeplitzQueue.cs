namespace NetTrace.CaptureGen.Stall;

/// <summary>
/// The receiving NIC's RSS: Toeplitz hash of (src addr, dst addr[, src port, dst port]) with the key, then a
/// round-robin indirection table of 128 entries indexed by the hash's low bits. Written bit by bit, straight from the
/// specification's definition and independently of the analyzer's table-driven one, so the two check each other.
/// </summary>
public sealed class ToeplitzQueue(byte[] key, int queues)
{
    public static readonly byte[] MicrosoftKey = Convert.FromHexString(
        "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa");

    public int Queues { get; } = queues;
    public byte[] Key { get; } = key;

    public uint Hash(ReadOnlySpan<byte> input)
    {
        uint result = 0;
        for (int bit = 0; bit < input.Length * 8; bit++)
        {
            if ((input[bit / 8] & (0x80 >> (bit % 8))) == 0) continue;
            uint window = 0;
            for (int k = 0; k < 32; k++)
            {
                int keyBit = bit + k;
                int b = keyBit / 8 < Key.Length ? (Key[keyBit / 8] >> (7 - keyBit % 8)) & 1 : 0;
                window = (window << 1) | (uint)b;
            }
            result ^= window;
        }
        return result;
    }

    /// <summary>Queue of a packet from src to dst as the receiving host's NIC picks it (ports only for TCP/UDP).</summary>
    public int Queue(byte[] src, byte[] dst, ushort srcPort, ushort dstPort, bool withPorts)
    {
        var input = new List<byte>(36);
        input.AddRange(src);
        input.AddRange(dst);
        if (withPorts)
        {
            input.Add((byte)(srcPort >> 8)); input.Add((byte)srcPort);
            input.Add((byte)(dstPort >> 8)); input.Add((byte)dstPort);
        }
        uint h = Hash(input.ToArray());
        return (int)(h % 128) % Queues; // table[i] = i % queues, indexed by hash % 128
    }
}
