using System.Security.Cryptography;
using System.Text;

namespace NetTrace.Metadata.Tests.Apiserver;

/// <summary>The fixtures' uids are name-based UUIDs (v5, DNS namespace) of a seed, so tests can name them.</summary>
internal static class Fixtures
{
    private static readonly byte[] DnsNamespace = Guid.Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8").ToByteArray(bigEndian: true);

    public static string Uid(string seed)
    {
        var hash = SHA1.HashData([.. DnsNamespace, .. Encoding.UTF8.GetBytes(seed)]);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
