package runner

import "sync"

// job is one run of one flow instance.
type job struct {
	plan *Plan
	in   flowInstance
	// slot is the flow's place in the result, counted over every spec.
	slot int
	// run counts the instance's runs from 1 (--repeat).
	run int
	// leases are held while the job runs; alone runs it with no other job.
	leases []string
	alone  bool
	// err, if set, is why the job cannot run: its leases could not be known.
	err error
}

// scheduler hands jobs to workers in order, never two holding one lease
// at once, and a job that runs alone beside none. A job waiting for a
// lease lets the jobs behind it pass; a job waiting to run alone does not,
// so it is never starved.
type scheduler struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending []*job
	held    map[string]bool
	running int
	alone   bool
	// stopped, once set, is why the jobs not yet begun do not run.
	stopped string
}

func newScheduler(jobs []*job) *scheduler {
	s := &scheduler{pending: jobs, held: map[string]bool{}}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// next returns the next job a worker may begin, with the reason the run
// stopped early if it did; nil when none is left. It blocks while every
// pending job waits for a running one.
func (s *scheduler) next() (*job, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if len(s.pending) == 0 {
			return nil, ""
		}
		if s.stopped != "" {
			// Nothing more begins: hand the rest out to be reported as not run.
			j := s.pending[0]
			s.pending = s.pending[1:]
			return j, s.stopped
		}
		for i, j := range s.pending {
			if s.fits(j) {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				s.take(j)
				return j, ""
			}
			if j.alone {
				break
			}
		}
		s.cond.Wait()
	}
}

// fits reports whether j may begin now.
func (s *scheduler) fits(j *job) bool {
	if s.alone || (j.alone && s.running > 0) {
		return false
	}
	for _, l := range j.leases {
		if s.held[l] {
			return false
		}
	}
	return true
}

func (s *scheduler) take(j *job) {
	s.running++
	s.alone = j.alone
	for _, l := range j.leases {
		s.held[l] = true
	}
}

// done releases what j held.
func (s *scheduler) done(j *job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	if j.alone {
		s.alone = false
	}
	for _, l := range j.leases {
		delete(s.held, l)
	}
	s.cond.Broadcast()
}

// stop makes the jobs not yet begun not run, for reason.
func (s *scheduler) stop(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped == "" {
		s.stopped = reason
	}
	s.cond.Broadcast()
}
