"""A TCP proxy for one test: forwards client <-> server until it gets SIGUSR1, then stops
reading from the server, like a client that stopped reading. Its upstream sockets have a
small receive buffer set before connecting (which Node cannot do), so the kernel holds only a
little of what the server sends and the server's own send buffer grows, as it would for a
real slow client on the internet. Prints its port, then serves until killed."""
import selectors, signal, socket, sys

upstream_port = int(sys.argv[1])
stalled = False

def stall(*_):
    global stalled
    stalled = True

signal.signal(signal.SIGUSR1, stall)
sel = selectors.DefaultSelector()
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
listener.setblocking(False)
sel.register(listener, selectors.EVENT_READ, None)
print(listener.getsockname()[1], flush=True)
pairs = {}

while True:
    for key, _ in sel.select(timeout=0.05):
        sock = key.fileobj
        if sock is listener:
            client, _ = listener.accept()
            up = socket.socket()
            up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            up.connect(("127.0.0.1", upstream_port))
            pairs[client], pairs[up] = up, client
            for s in (client, up):
                s.setblocking(True)
                sel.register(s, selectors.EVENT_READ, "up" if s is up else "down")
            continue
        if key.data == "up" and stalled:
            continue
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        other = pairs.get(sock)
        if not data or other is None:
            for s in (sock, other):
                if s is not None:
                    try:
                        sel.unregister(s)
                    except (KeyError, ValueError):
                        pass
                    s.close()
                    pairs.pop(s, None)
            continue
        try:
            other.sendall(data)
        except OSError:
            pass
    if stalled:
        # Stop watching upstream sockets at all: the selector would spin on them.
        for s, peer in list(pairs.items()):
            try:
                if sel.get_key(s).data == "up":
                    sel.unregister(s)
            except (KeyError, ValueError):
                pass
