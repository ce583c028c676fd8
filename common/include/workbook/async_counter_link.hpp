/// \file
/// \brief AsyncCounterLink, a run's way to the counters on an EventLoop, as CounterLink is a
///        thread's: the work of `--work`, each class's key, and the non-blocking client.
#pragma once

#include "workbook/async_counter_client.hpp"
#include "workbook/counter_kinds.hpp"
#include "workbook/event_loop.hpp"
#include "workbook/letter_types.hpp"

#include <array>
#include <cstddef>
#include <optional>
#include <string>

namespace workbook {

/// What a run on an EventLoop (chapter 13's Deferreds, chapter 14's tasks) calls for each event:
/// burn() its work on the loop's thread, then, with a server, queue its request for key() on
/// client(); with local counters there is no client, and the run completes the call on the loop
/// itself. The client goes with the link, and every reply still pending with it: a run declares
/// its link after its loop, so that the link goes first.
class AsyncCounterLink {
public:
    /// Connects to `endpoint`'s server on `loop`, if it has one. Throws CounterError if it cannot
    /// connect (AsyncCounterClient's constructor).
    AsyncCounterLink(EventLoop& loop, const CounterEndpoint& endpoint)
        : work_(CounterEndpoint{CounterKind::local, endpoint.work, {}, {}, {}, {}}) {  // --work only
        for (Letter letter : {Letter::vowel, Letter::consonant, Letter::other})
            keys_[static_cast<std::size_t>(letter)] = endpoint.key_prefix + std::string(counter_name(letter));
        if (endpoint.kind != CounterKind::local) client_.emplace(loop, endpoint.socket_path, endpoint.server_name, endpoint.timeouts);
    }

    /// Burns the work of one call for an event of class `letter` (`--work`), on the calling thread.
    void burn(Letter letter) { work_.call(letter); }
    /// The connection to the server; null for local counters.
    AsyncCounterClient* client() noexcept { return client_ ? &*client_ : nullptr; }
    /// The server's key for the counter of `letter`'s class.
    const std::string& key(Letter letter) const noexcept { return keys_[static_cast<std::size_t>(letter)]; }

private:
    CounterLink work_;                          // local: it only burns the work
    std::array<std::string, 3> keys_;
    std::optional<AsyncCounterClient> client_;  // none for local counters
};

}  // namespace workbook
