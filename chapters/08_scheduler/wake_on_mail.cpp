// Chapter 08's variant wake-on-mail: it adds to the talk's scheduler a thread that sleeps until mail arrives.
//
// A thread that posted nothing (to NOBODY) is not given turns until its mailbox holds something.
// The reader never sleeps and each event wakes exactly one counter, so the two idle counters cost a
// check instead of a resume: two resumes per event instead of four.
#include "scheduler.hpp"

#include <vector>

namespace workbook::chapter08 {

//! [wake_on_mail]
void wake_on_mail_scheduler(std::span<Thread> threads) {
    ThreadData thread_data = mailboxes_for(threads.size());
    std::vector<char> asleep(threads.size(), false);
    while (true) {
        bool anyone_ran = false;
        for (Index t = 0; t < threads.size(); ++t) {
            if (asleep[t] && thread_data[t].empty()) continue;  // nothing to wake it for
            anyone_ran = true;
            std::optional<Post> post = threads[t].send(Mailbox(thread_data[t]));
            if (!post) return;  // StopIteration: break
            thread_data[t].clear();
            asleep[t] = post->consumer == NOBODY;
            deliver(thread_data, *post);
        }
        if (!anyone_ran) return;  // every thread sleeps and no mail can come
    }
}
//! [wake_on_mail]

}  // namespace workbook::chapter08
