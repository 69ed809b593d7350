using System.Runtime.InteropServices;
using System.Text;

namespace NetTrace.Tracer.Libbpf;

public enum BtfKind : uint
{
    Int = 1, Ptr = 2, Array = 3, Struct = 4, Union = 5, Enum = 6, Fwd = 7, Typedef = 8, Volatile = 9, Const = 10,
    Restrict = 11, Func = 12, FuncProto = 13, Var = 14, Datasec = 15, Float = 16, DeclTag = 17, TypeTag = 18, Enum64 = 19,
}

public sealed record BtfMember(string Name, uint BitOffset, uint TypeId);
public sealed record BtfStruct(string Name, uint Size, IReadOnlyList<BtfMember> Members);

/// <summary>Read-only view of a BTF blob through libbpf's btf__* API (vmlinux or an object's own BTF).</summary>
public sealed unsafe class Btf : IDisposable
{
    private nint _btf;
    private readonly bool _owned;

    private Btf(nint btf, bool owned) { _btf = btf; _owned = owned; }

    /// <summary>The running kernel's BTF (/sys/kernel/btf/vmlinux, or the usual vmlinux file locations).</summary>
    public static Btf LoadVmlinux()
    {
        using var cap = LibbpfLog.BeginCapture();
        var p = Native.btf__load_vmlinux_btf();
        if (p == 0) throw new LibbpfException("btf__load_vmlinux_btf", Marshal.GetLastPInvokeError(), cap.Text);
        return new Btf(p, owned: true);
    }

    /// <summary>BTF of a file: raw BTF or the .BTF section of an ELF object.</summary>
    public static Btf Parse(string path)
    {
        using var cap = LibbpfLog.BeginCapture();
        var p = Native.btf__parse(path, 0);
        if (p == 0) throw new LibbpfException($"btf__parse({path})", Marshal.GetLastPInvokeError(), cap.Text);
        return new Btf(p, owned: true);
    }

    internal static Btf Borrow(nint btf) => new(btf, owned: false);

    private nint Handle => _btf != 0 ? _btf : throw new ObjectDisposedException(nameof(Btf));

    public int Find(string name, BtfKind kind) => Native.btf__find_by_name_kind(Handle, name, (uint)kind);
    public bool Has(string name, BtfKind kind) => Find(name, kind) > 0;

    private string Name(uint off) => Marshal.PtrToStringUTF8((nint)Native.btf__name_by_offset(Handle, off)) ?? "";

    private BtfType* Type(int id)
    {
        var t = Native.btf__type_by_id(Handle, (uint)id);
        if (t == null) throw new InvalidOperationException($"BTF type id {id} not found");
        return t;
    }

    /// <summary>Members of an enum (ENUM or ENUM64), value → name.</summary>
    public IReadOnlyDictionary<long, string>? EnumValues(string enumName)
    {
        var result = new Dictionary<long, string>();
        int id = Find(enumName, BtfKind.Enum);
        if (id > 0)
        {
            var t = Type(id);
            var e = (uint*)(t + 1); // struct btf_enum { name_off; s32 val; }
            for (int i = 0; i < t->Vlen; i++)
                result.TryAdd((int)e[2 * i + 1], Name(e[2 * i]));
            return result;
        }
        id = Find(enumName, BtfKind.Enum64);
        if (id <= 0) return null;
        var t64 = Type(id);
        var e64 = (uint*)(t64 + 1); // struct btf_enum64 { name_off; lo32; hi32; }
        for (int i = 0; i < t64->Vlen; i++)
            result.TryAdd((long)((ulong)e64[3 * i + 2] << 32 | e64[3 * i + 1]), Name(e64[3 * i]));
        return result;
    }

    /// <summary>Offset and size of a global variable inside a data section such as ".rodata".</summary>
    public (uint Offset, uint Size)? DatasecVariable(string section, string variable)
    {
        int id = Find(section, BtfKind.Datasec);
        if (id <= 0) return null;
        var t = Type(id);
        var v = (uint*)(t + 1); // struct btf_var_secinfo { type; offset; size; }
        for (int i = 0; i < t->Vlen; i++)
        {
            var varType = Type((int)v[3 * i]);
            if (Name(varType->NameOff) == variable) return (v[3 * i + 1], v[3 * i + 2]);
        }
        return null;
    }

    public BtfStruct? Struct(string name)
    {
        int id = Find(name, BtfKind.Struct);
        if (id <= 0) return null;
        var t = Type(id);
        var m = (uint*)(t + 1); // struct btf_member { name_off; type; offset; }
        var members = new List<BtfMember>();
        for (int i = 0; i < t->Vlen; i++)
        {
            uint off = m[3 * i + 2];
            if (t->KindFlag) off &= 0xffffff;
            members.Add(new BtfMember(Name(m[3 * i]), off, m[3 * i + 1]));
        }
        return new BtfStruct(name, t->SizeOrType, members);
    }

    public void Dispose()
    {
        var p = Interlocked.Exchange(ref _btf, 0);
        if (p != 0 && _owned) Native.btf__free(p);
    }
}
