package agenda

import (
	"math"
	"slices"
	"testing"
)

func TestNextInTimeThenArrivalOrder(t *testing.T) {
	a := New[string]()
	a.Add(5, "e1")
	a.Add(2, "b1")
	a.Add(5, "e2")
	a.Add(-3, "neg")
	a.Add(2, "b2")

	var got []string
	added := false
	for {
		tm, vs, ok := a.Next(5)
		if !ok {
			break
		}
		for _, v := range vs {
			got = append(got, v)
		}
		if tm == 2 && !added {
			added = true
			a.Add(2, "b3") // added while its time is being read: comes back on its own
		}
		a.Done(vs)
	}
	if want := []string{"neg", "b1", "b2", "b3"}; !slices.Equal(got, want) {
		t.Fatalf("before 5: got %v, want %v", got, want)
	}
	if _, vs, ok := a.Next(5); ok {
		t.Fatalf("Next(5) after reading every time before 5 returned %v", vs)
	}
	_, vs, ok := a.Next(math.MaxInt64)
	if !ok || !slices.Equal(vs, []string{"e1", "e2"}) {
		t.Fatalf("time 5: got %v %v", vs, ok)
	}
	a.Done(vs)
	if _, _, ok := a.Next(math.MaxInt64); ok {
		t.Fatal("agenda not empty after every time was read")
	}
}

func TestReusedListsStartEmpty(t *testing.T) {
	a := New[int]()
	for round := range 3 {
		for i := range 10 {
			a.Add(int64(i%3), round*100+i)
		}
		n := 0
		for {
			_, vs, ok := a.Next(math.MaxInt64)
			if !ok {
				break
			}
			for _, v := range vs {
				if v/100 != round {
					t.Fatalf("round %d read %d, left from an earlier round", round, v)
				}
			}
			n += len(vs)
			a.Done(vs)
		}
		if n != 10 {
			t.Fatalf("round %d: read %d values, want 10", round, n)
		}
	}
}

func TestClear(t *testing.T) {
	a := New[int]()
	a.Add(1, 1)
	a.Add(2, 2)
	a.Clear()
	if _, _, ok := a.Next(math.MaxInt64); ok {
		t.Fatal("Next after Clear returned a value")
	}
	a.Add(2, 3) // the time of the last Add before Clear: listed afresh
	a.Add(7, 7)
	if tm, vs, ok := a.Next(8); !ok || tm != 2 || !slices.Equal(vs, []int{3}) {
		t.Fatalf("after Clear and Add: %d %v %v", tm, vs, ok)
	}
	if tm, vs, ok := a.Next(8); !ok || tm != 7 || !slices.Equal(vs, []int{7}) {
		t.Fatalf("after Clear and Add: %d %v %v", tm, vs, ok)
	}
}

// TestAddsAlternatingTimes checks Adds that switch between times, and return to one just read,
// against a plain map of lists.
func TestAddsAlternatingTimes(t *testing.T) {
	a := New[int]()
	want := map[int64][]int{}
	read := func(lim int64) { readChecked(t, &a, want, lim) }
	r := uint64(1)
	for i := range 5000 {
		r = r*6364136223846793005 + 1442695040888963407
		tm := int64(r>>60) + int64(i/50)
		a.Add(tm, i)
		want[tm] = append(want[tm], i)
		if i%37 == 0 {
			read(int64(i/50) + 3)
		}
	}
	read(math.MaxInt64)
	if len(want) != 0 {
		t.Fatalf("%d times never read", len(want))
	}
}

// readChecked takes every time before lim from a, checks its list against want and deletes
// it there.
func readChecked(t *testing.T, a *Agenda[int], want map[int64][]int, lim int64) {
	t.Helper()
	for {
		got, vs, ok := a.Next(lim)
		if !ok {
			return
		}
		if !slices.Equal(vs, want[got]) {
			t.Fatalf("time %d: got %v, want %v", got, vs, want[got])
		}
		delete(want, got)
		a.Done(vs)
	}
}

// TestLongRisingRun reads times listed in increasing order, thousands of them, a few at a
// time, with an earlier time listed now and then: the queue is compacted on the way and the
// heap's times come out in order among it.
func TestLongRisingRun(t *testing.T) {
	a := New[int64]()
	next, want, read := int64(0), int64(0), 0
	for tm := int64(0); tm < 10_000; tm++ {
		a.Add(tm*2, tm*2)
		if tm%97 == 0 && tm > 0 {
			a.Add(tm*2-1, tm*2-1) // before the queue's last
		}
		if tm%3 == 0 {
			next = tm
			for {
				got, vs, ok := a.Next(next)
				if !ok {
					break
				}
				if got < want || len(vs) != 1 || vs[0] != got {
					t.Fatalf("time %d after %d: %v", got, want, vs)
				}
				want = got
				read++
				a.Done(vs)
			}
		}
	}
	n := 0
	for {
		got, vs, ok := a.Next(math.MaxInt64)
		if !ok {
			break
		}
		if got < want {
			t.Fatalf("time %d after %d", got, want)
		}
		want = got
		n++
		a.Done(vs)
	}
	if n == 0 || want != 19_998 || read+n != 10_000+10_000/97 {
		t.Fatalf("read %d then %d at the end, last %d", read, n, want)
	}
}

// TestTimesMeetingInASlot lists times that share ring slots (equal low bits), read and
// listed again in every order, against a plain map of lists: a time whose slot another holds
// keeps its list aside, and is still found there once the slot is free.
func TestTimesMeetingInASlot(t *testing.T) {
	a := New[int]()
	want := map[int64][]int{}
	r := uint64(7)
	rand := func(n int) int64 {
		r = r*6364136223846793005 + 1442695040888963407
		return int64(r>>33) % int64(n)
	}
	next := int64(0) // every time below next has been read
	for i := range 20_000 {
		tm := next + rand(4)*ringSize + rand(3)
		a.Add(tm, i)
		want[tm] = append(want[tm], i)
		if rand(5) == 0 {
			next += rand(2)*ringSize + rand(2)
			readChecked(t, &a, want, next)
		}
	}
	readChecked(t, &a, want, math.MaxInt64)
	if len(want) != 0 {
		t.Fatalf("%d times never read", len(want))
	}
}
