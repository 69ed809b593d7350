using System.Collections;

namespace NetTrace.Analyzer.Flows;

/// <summary>
/// A read-only list whose items are built on access from compact stored data. Results of millions of flows stay
/// plain structs (nothing for the GC to trace); the records and strings exist only while someone reads them.
/// </summary>
internal sealed class LazyList<T>(int count, Func<int, T> make) : IReadOnlyList<T>
{
    public int Count => count;

    public T this[int index] => (uint)index < (uint)count ? make(index) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < count; i++) yield return make(i);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Results of several inputs in input order: lazy per-file segments and items added one by one (recordings).
/// </summary>
internal sealed class SegmentedList<T> : IReadOnlyList<T>
{
    private readonly List<IReadOnlyList<T>> _segments = [];
    private List<T>? _tail;

    public IReadOnlyList<IReadOnlyList<T>> Segments => _segments;

    public void Add(T item)
    {
        if (_tail is null)
        {
            _tail = [];
            _segments.Add(_tail);
        }
        _tail.Add(item);
    }

    public void AddSegment(IReadOnlyList<T> segment)
    {
        _segments.Add(segment);
        _tail = null;
    }

    public int Count
    {
        get
        {
            int n = 0;
            foreach (var s in _segments) n += s.Count;
            return n;
        }
    }

    public T this[int index]
    {
        get
        {
            if (index >= 0)
            {
                foreach (var s in _segments)
                {
                    if (index < s.Count) return s[index];
                    index -= s.Count;
                }
            }
            throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    public IEnumerator<T> GetEnumerator()
    {
        foreach (var s in _segments)
            foreach (var item in s)
                yield return item;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
